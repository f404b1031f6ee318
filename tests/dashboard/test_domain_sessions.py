"""Sessions end as soon as their member's email domain stops being an SSO
domain of the org, checked over real HTTP through ``/api/session``."""

import httpx

from rollcall.domain import orgs, sessions
from rollcall.storage.models import Org
from tests.dashboard.conftest import Work
from tests.factories import OPERATOR, make_member, make_org


def _session_for(work: Work, org: Org, email: str, via: str) -> str:
    with work() as db:
        org = orgs.get_org(db, org.public_id)
        member = make_member(db, org, email)
        return sessions.start_session(db, org, member, via=via, hours=1)


def _api_session(http: httpx.Client, raw: str) -> int:
    headers = {"Cookie": f"rollcall_session={raw}"}
    return http.get("/api/session", headers=headers).status_code


def _remove_domain(work: Work, org: Org, domain: str) -> None:
    with work() as db:
        orgs.remove_domain(db, orgs.get_org(db, org.public_id), domain, OPERATOR)


def test_removing_an_sso_domain_ends_sessions_of_members_on_it(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db, domains=("example.com", "example.org"))
    leaving = _session_for(work, org, "ada@example.org", "sso")
    staying = _session_for(work, org, "bob@example.com", "sso")
    assert _api_session(http, leaving) == 200

    _remove_domain(work, org, "example.org")

    assert _api_session(http, leaving) == 401
    assert _api_session(http, staying) == 200


def test_admin_link_session_outlives_the_removal_of_its_domain(
    http: httpx.Client, work: Work
) -> None:
    """The operator vouched for the person behind an admin link (see
    docs/decisions.md), so the domain rule does not end that session."""
    with work() as db:
        org = make_org(db, domains=("example.com", "example.org"))
    raw = _session_for(work, org, "ada@example.org", "admin_link")

    _remove_domain(work, org, "example.org")

    assert _api_session(http, raw) == 200
