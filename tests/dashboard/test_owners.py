"""Owners over real HTTP: two owners acting at the same moment still leave the
org an owner, and only an owner may remove an owner."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import select

from rollcall.storage.models import Member, MemberState, Org, Role
from tests.conftest import LiveServer
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import csrf_of, load_member, sign_in
from tests.factories import make_org

Act = Callable[[httpx.Client, str, str, Member], httpx.Response]
ROUNDS = 4


def _owners_left(work: Work, org: Org) -> int:
    with work() as db:
        rows = db.scalars(
            select(Member).where(
                Member.org_id == org.id,
                Member.role == Role.OWNER,
                Member.state == MemberState.ACTIVE,
            )
        ).all()
    return len(rows)


def _reset_owners(work: Work, org: Org, emails: list[str]) -> None:
    with work() as db:
        for member in db.scalars(select(Member).where(Member.org_id == org.id)):
            if member.email in emails:
                member.role = Role.OWNER
                member.state = MemberState.ACTIVE


def _race(server: LiveServer, work: Work, act: Act) -> None:
    """Two owners each act on the other at once, ``ROUNDS`` times."""
    with work() as db:
        org = make_org(db)
    emails = ["one@example.com", "two@example.com"]
    for _ in range(ROUNDS):
        _reset_owners(work, org, emails)
        done = _one_round(server, work, org, emails, act)

        assert _owners_left(work, org) == 1
        assert done.count(True) == 1


def _one_round(
    server: LiveServer, work: Work, org: Org, emails: list[str], act: Act
) -> list[bool]:
    clients = [httpx.Client(base_url=server.url, timeout=30) for _ in emails]
    tokens = [
        csrf_of(sign_in(client, work, org, email).text)
        for client, email in zip(clients, emails, strict=True)
    ]
    others = [load_member(work, org, email) for email in reversed(emails)]
    start = threading.Barrier(len(clients))

    def run(n: int) -> bool:
        start.wait()
        answer = act(clients[n], org.public_id, tokens[n], others[n])
        return answer.status_code == 303 and "done=" in answer.headers["location"]

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        done = list(pool.map(run, range(len(clients))))
    for client in clients:
        client.close()
    return done


def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    server: LiveServer, work: Work
) -> None:
    def demote(
        client: httpx.Client, org_id: str, token: str, other: Member
    ) -> httpx.Response:
        url = f"/orgs/{org_id}/members/{other.scim_id}/role"
        return client.post(url, data={"csrf_token": token, "role": "admin"})

    _race(server, work, demote)


def test_two_owners_removing_each_other_at_once_leave_one_owner(
    server: LiveServer, work: Work
) -> None:
    def remove(
        client: httpx.Client, org_id: str, token: str, other: Member
    ) -> httpx.Response:
        url = f"/orgs/{org_id}/members/{other.scim_id}/remove"
        return client.post(url, data={"csrf_token": token})

    _race(server, work, remove)


def test_an_admin_cannot_remove_an_owner(http: httpx.Client, work: Work) -> None:
    with work() as db:
        org = make_org(db)
    for owner_email in ("owner@example.com", "second@example.com"):
        with httpx.Client(base_url=str(http.base_url)) as other:
            sign_in(other, work, org, owner_email)
    page = sign_in(http, work, org, "admin@example.com")
    with work() as db:
        db.merge(load_member(work, org, "admin@example.com")).role = Role.ADMIN
    owner = load_member(work, org, "owner@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{owner.scim_id}/remove",
        data={"csrf_token": csrf_of(page.text)},
    )

    assert answer.status_code == 403
    assert "only an owner" in answer.text
    assert "text/html" in answer.headers["content-type"]
    assert load_member(work, org, "owner@example.com").state == MemberState.ACTIVE


def test_an_owner_can_remove_another_owner(http: httpx.Client, work: Work) -> None:
    with work() as db:
        org = make_org(db)
    with httpx.Client(base_url=str(http.base_url)) as other_client:
        sign_in(other_client, work, org, "other@example.com")
    page = sign_in(http, work, org, "owner@example.com")
    other = load_member(work, org, "other@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{other.scim_id}/remove",
        data={"csrf_token": csrf_of(page.text)},
    )

    assert answer.status_code == 303
    assert load_member(work, org, "other@example.com").state == MemberState.DEACTIVATED
