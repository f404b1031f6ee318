"""The team list, its views, search and paging, role changes and removal."""

import re

import httpx

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import MemberInput
from rollcall.domain.orgs import get_org
from rollcall.domain.team import PAGE_SIZE
from rollcall.storage import queries
from rollcall.storage.models import MemberState, Org, Role
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import csrf_of, load_member, sign_in
from tests.factories import make_member, make_org

IDP = Actor("idp", "tok_test")
ROW_EMAIL = re.compile(r'<td data-label="Email" class="email">([^<]+)</td>')


def _emails(html: str) -> list[str]:
    return ROW_EMAIL.findall(html)


def _org_with(work: Work, *emails: str) -> Org:
    with work() as db:
        org = make_org(db)
        for email in emails:
            make_member(db, org, email)
    return org


def _sign_in_as_active(work: Work, org: Org, *emails: str) -> None:
    """Mark members as having signed in through SSO."""
    with work() as db:
        fresh = get_org(db, org.public_id)
        for email in emails:
            member = queries.get_member_by_email(db, org.id, email)
            assert member is not None
            members.mark_signed_in(db, fresh, member)


def test_team_lists_signed_in_members_and_views_hold_the_rest(
    http: httpx.Client, work: Work
) -> None:
    org = _org_with(work, "active@example.com", "waiting@example.com")
    _sign_in_as_active(work, org, "active@example.com")
    page = sign_in(http, work, org, "owner@example.com")
    with work() as db:
        gone = make_member(db, get_org(db, org.public_id), "gone@example.com")
        members.deactivate(db, get_org(db, org.public_id), gone, IDP)

    assert _emails(page.text) == ["active@example.com", "owner@example.com"]
    pending = http.get(f"/orgs/{org.public_id}/team", params={"view": "pending"})
    assert _emails(pending.text) == ["waiting@example.com"]
    deactivated = http.get(
        f"/orgs/{org.public_id}/team", params={"view": "deactivated"}
    )
    assert _emails(deactivated.text) == ["gone@example.com"]
    assert "/remove" not in deactivated.text


def test_search_matches_email_or_name_case_insensitively(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
        make_member(db, org, "ada@example.com", given="Ada", family="Lovelace")
        make_member(db, org, "grace@example.com", given="Grace", family="Hopper")
        make_member(db, org, "50%off@example.com", given="Per", family="Cent")
    _sign_in_as_active(work, org, "ada@example.com", "grace@example.com")
    _sign_in_as_active(work, org, "50%off@example.com")
    sign_in(http, work, org, "owner@example.com")
    url = f"/orgs/{org.public_id}/team"

    assert _emails(http.get(url, params={"q": "HOPPER"}).text) == ["grace@example.com"]
    assert _emails(http.get(url, params={"q": "ada@"}).text) == ["ada@example.com"]
    assert _emails(http.get(url, params={"q": "ada lovelace"}).text) == [
        "ada@example.com"
    ]
    assert _emails(http.get(url, params={"q": "%"}).text) == ["50%off@example.com"]
    none = http.get(url, params={"q": "nobody"})
    assert _emails(none.text) == [] and "match your search" in none.text


def test_paging_walks_every_member_once(http: httpx.Client, work: Work) -> None:
    emails = [f"p{n:03}@example.com" for n in range(PAGE_SIZE + 7)]
    org = _org_with(work, *emails)
    sign_in(http, work, org, "owner@example.com")
    url = f"/orgs/{org.public_id}/team"

    first = http.get(url, params={"view": "pending"})
    second = http.get(url, params={"view": "pending", "page": "2"})
    beyond = http.get(url, params={"view": "pending", "page": "99"})
    junk = http.get(url, params={"view": "pending", "page": "-3x"})

    assert "Page 1 of 2" in first.text and "Page 2 of 2" in second.text
    assert _emails(first.text) + _emails(second.text) == emails
    assert _emails(beyond.text) == _emails(second.text)
    assert _emails(junk.text) == _emails(first.text)


def test_too_long_search_gets_readable_error(http: httpx.Client, work: Work) -> None:
    org = _org_with(work)
    sign_in(http, work, org, "owner@example.com")
    answer = http.get(f"/orgs/{org.public_id}/team", params={"q": "x" * 500})
    assert answer.status_code == 400
    assert "longer than 200" in answer.text


def test_owner_changes_a_role_and_it_is_audited(http: httpx.Client, work: Work) -> None:
    org = _org_with(work, "ada@example.com")
    page = sign_in(http, work, org, "owner@example.com")
    ada = load_member(work, org, "ada@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{ada.scim_id}/role",
        data={"csrf_token": csrf_of(page.text), "role": "admin", "view": "pending"},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "The role was changed." in answer.text
    assert answer.url.params["view"] == "pending"
    assert load_member(work, org, "ada@example.com").role == Role.ADMIN
    with work() as db:
        entry = queries.list_audit(db, org.id, limit=1)[0]
    assert (entry.action, entry.actor_kind, entry.actor) == (
        "member.role_changed",
        "admin",
        "owner@example.com",
    )


def test_unknown_role_is_refused_with_a_clear_page(
    http: httpx.Client, work: Work
) -> None:
    org = _org_with(work, "ada@example.com")
    page = sign_in(http, work, org, "owner@example.com")
    ada = load_member(work, org, "ada@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{ada.scim_id}/role",
        data={"csrf_token": csrf_of(page.text), "role": "superuser"},
    )
    assert answer.status_code == 400
    assert "is not a role" in answer.text


def test_last_owner_cannot_step_down(http: httpx.Client, work: Work) -> None:
    org = _org_with(work)
    page = sign_in(http, work, org, "owner@example.com")
    owner = load_member(work, org, "owner@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{owner.scim_id}/role",
        data={"csrf_token": csrf_of(page.text), "role": "member"},
    )
    assert answer.status_code == 403
    assert "at least one owner" in answer.text
    assert load_member(work, org, "owner@example.com").role == Role.OWNER


def test_remove_asks_first_then_deactivates(http: httpx.Client, work: Work) -> None:
    org = _org_with(work, "ada@example.com")
    _sign_in_as_active(work, org, "ada@example.com")
    sign_in(http, work, org, "owner@example.com")
    ada = load_member(work, org, "ada@example.com")
    url = f"/orgs/{org.public_id}/members/{ada.scim_id}/remove"

    confirm = http.get(url)
    assert confirm.status_code == 200
    assert "Remove Ada Lovelace?" in confirm.text
    assert load_member(work, org, "ada@example.com").state == MemberState.ACTIVE

    done = http.post(
        url, data={"csrf_token": csrf_of(confirm.text)}, follow_redirects=True
    )
    assert "removed from the team" in done.text
    assert "ada@example.com" not in _emails(done.text)
    assert load_member(work, org, "ada@example.com").state == MemberState.DEACTIVATED


def test_admin_cannot_remove_themselves(http: httpx.Client, work: Work) -> None:
    org = _org_with(work)
    page = sign_in(http, work, org, "owner@example.com")
    me = load_member(work, org, "owner@example.com")

    answer = http.post(
        f"/orgs/{org.public_id}/members/{me.scim_id}/remove",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert answer.status_code == 403
    assert load_member(work, org, "owner@example.com").state == MemberState.ACTIVE


def test_unknown_member_is_a_readable_404(http: httpx.Client, work: Work) -> None:
    org = _org_with(work)
    sign_in(http, work, org, "owner@example.com")
    answer = http.get(f"/orgs/{org.public_id}/members/no-such-id/remove")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]


def test_idp_deactivation_hides_member_until_next_sign_in(
    http: httpx.Client, work: Work
) -> None:
    org = _org_with(work, "ada@example.com")
    _sign_in_as_active(work, org, "ada@example.com")
    sign_in(http, work, org, "owner@example.com")
    url = f"/orgs/{org.public_id}/team"
    assert "ada@example.com" in _emails(http.get(url).text)

    with work() as db:
        fresh = get_org(db, org.public_id)
        ada = queries.get_member_by_email(db, org.id, "ada@example.com")
        assert ada is not None
        members.update(db, fresh, ada, MemberInput(active=False), IDP)
    assert "ada@example.com" not in _emails(http.get(url).text)

    with work() as db:
        fresh = get_org(db, org.public_id)
        ada = queries.get_member_by_email(db, org.id, "ada@example.com")
        assert ada is not None
        members.update(db, fresh, ada, MemberInput(active=True), IDP)
    assert "ada@example.com" not in _emails(http.get(url).text)
    pending = http.get(url, params={"view": "pending"}).text
    assert "ada@example.com" in _emails(pending)

    _sign_in_as_active(work, org, "ada@example.com")
    assert "ada@example.com" in _emails(http.get(url).text)
