"""Signing in to the Manage Team pages over real HTTP, as a browser would."""

import re

import httpx

from rollcall.domain import orgs, sessions
from rollcall.storage import queries
from rollcall.storage.models import Member, Org
from tests.dashboard.conftest import Work
from tests.factories import OPERATOR

CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def admin_link(work: Work, org: Org, email: str) -> str:
    """A fresh one-time sign-in path for ``email`` (an owner if new)."""
    with work() as db:
        raw, _expires, _member = sessions.issue_admin_link(
            db, orgs.get_org(db, org.public_id), email, minutes=15, actor=OPERATOR
        )
    return f"/admin-link/{raw}"


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF_INPUT.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(http: httpx.Client, work: Work, org: Org, email: str) -> httpx.Response:
    """Sign ``http`` in through an admin link; returns the team page."""
    path = admin_link(work, org, email)
    confirm = http.get(path)
    assert confirm.status_code == 200
    answer = http.post(path, data={"csrf_token": csrf_of(confirm.text)})
    assert answer.status_code == 303, answer.text
    return http.get(answer.headers["location"])


def load_member(work: Work, org: Org, email: str) -> Member:
    """The member as stored now."""
    with work() as db:
        member = queries.get_member_by_email(db, org.id, email)
        assert member is not None
        return member


def load_org(work: Work, org: Org) -> Org:
    with work() as db:
        return orgs.get_org(db, org.public_id)
