"""The one-time admin sign-in link over real HTTP: it signs in once, even when
its POSTs race, and a spent or unknown link says so before offering a button."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from rollcall.storage.models import AdminLink, WebSession
from tests.conftest import LiveServer
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import admin_link, csrf_of
from tests.factories import make_org


def test_concurrent_posts_of_one_admin_link_open_one_session(
    server: LiveServer, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
    path = admin_link(work, org, "owner@example.com")
    with httpx.Client(base_url=server.url) as first:
        token = csrf_of(first.get(path).text)

    clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(6)]
    for client in clients:
        client.get("/healthz")  # open the connection before the race
    start = threading.Barrier(len(clients))

    def redeem(client: httpx.Client) -> int:
        start.wait()
        return client.post(path, data={"csrf_token": token}).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = sorted(pool.map(redeem, clients))
    for client in clients:
        client.close()

    assert statuses == [303, 403, 403, 403, 403, 403]
    with work() as db:
        sessions = db.scalar(select(func.count()).select_from(WebSession))
    assert sessions == 1


def test_get_of_a_used_admin_link_says_it_is_not_valid(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
    path = admin_link(work, org, "owner@example.com")
    assert (
        http.post(path, data={"csrf_token": csrf_of(http.get(path).text)}).status_code
        == 303
    )

    again = http.get(path)

    assert again.status_code == 403
    assert "not valid" in again.text
    assert "csrf_token" not in again.text


def test_get_of_an_expired_admin_link_says_it_is_not_valid(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
    path = admin_link(work, org, "owner@example.com")
    with work() as db:
        link = db.scalars(select(AdminLink)).one()
        link.expires_at = link.expires_at - timedelta(hours=1)

    answer = http.get(path)

    assert answer.status_code == 403
    assert "not valid" in answer.text
    assert "csrf_token" not in answer.text


def test_get_of_an_unknown_admin_link_says_it_is_not_valid(
    http: httpx.Client,
) -> None:
    answer = http.get("/admin-link/not-a-real-secret")

    assert answer.status_code == 403
    assert "ask support for a new one" in answer.text
    assert "csrf_token" not in answer.text


def test_get_of_a_live_admin_link_does_not_spend_it(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
    path = admin_link(work, org, "owner@example.com")

    assert http.get(path).status_code == 200
    assert http.get(path).status_code == 200
    with work() as db:
        assert db.scalars(select(AdminLink)).one().used_at is None
