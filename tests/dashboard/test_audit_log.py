"""The audit log cannot be flooded from outside, and all of it can be read:
refused sign-ins are audited only up to a cap per minute, and the Logs page
pages to older entries and separates changes from sign-in refusals."""

import re

import httpx
from sqlalchemy import func, select

from rollcall.domain import orgs
from rollcall.domain.audit import Actor, record
from rollcall.domain.sso import AUDITED_REFUSALS_PER_MINUTE
from rollcall.storage.models import AuditEntry, Org
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import sign_in
from tests.factories import make_org

GARBAGE_POSTS = AUDITED_REFUSALS_PER_MINUTE + 15
ADMIN = Actor("admin", "owner@example.com")


def _refusals(work: Work, org: Org) -> int:
    with work() as db:
        query = select(func.count()).where(
            AuditEntry.org_id == org.id, AuditEntry.action == "sso.refused"
        )
        return db.scalar(query) or 0


def _record_changes(work: Work, org: Org, count: int) -> None:
    with work() as db:
        fresh = orgs.get_org(db, org.public_id)
        for n in range(count):
            record(db, fresh, ADMIN, "org.subscription", active=f"change-{n:03}")


def test_garbage_posted_to_the_acs_is_audited_only_up_to_the_cap(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
    _record_changes(work, org, 1)

    for _ in range(GARBAGE_POSTS):
        answer = http.post(f"/sso/{org.public_id}/acs", data={"SAMLResponse": "junk"})
        assert answer.status_code == 400

    assert _refusals(work, org) == AUDITED_REFUSALS_PER_MINUTE
    page = sign_in(http, work, org, "owner@example.com")
    logs = http.get(f"/orgs/{org.public_id}/logs")
    assert page.status_code == logs.status_code == 200
    assert "change-000" in logs.text
    assert "further refusals" in logs.text


def test_audit_log_pages_to_older_entries(http: httpx.Client, work: Work) -> None:
    with work() as db:
        org = make_org(db)
    _record_changes(work, org, 130)
    sign_in(http, work, org, "owner@example.com")

    first = http.get(f"/orgs/{org.public_id}/logs")
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', first.text)
    assert older is not None, "no link to older entries"
    second = http.get(older.group(1).replace("&amp;", "&"))

    assert "change-129" in first.text and "change-129" not in second.text
    assert "change-000" not in first.text and "change-000" in second.text
    shown = set(re.findall(r"change-\d{3}", first.text + second.text))
    assert len(shown) == 130


def test_audit_log_separates_changes_from_sign_in_refusals(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
    _record_changes(work, org, 1)
    http.post(f"/sso/{org.public_id}/acs", data={"SAMLResponse": "junk"})
    sign_in(http, work, org, "owner@example.com")
    url = f"/orgs/{org.public_id}/logs"

    changes = http.get(url, params={"audit": "changes"})
    refusals = http.get(url, params={"audit": "refusals"})

    assert "change-000" in changes.text and "Sign-in refused" not in changes.text
    assert "Sign-in refused" in refusals.text and "change-000" not in refusals.text


def test_bad_before_or_filter_falls_back_to_the_newest_entries(
    http: httpx.Client, work: Work
) -> None:
    with work() as db:
        org = make_org(db)
    _record_changes(work, org, 1)
    sign_in(http, work, org, "owner@example.com")

    answer = http.get(
        f"/orgs/{org.public_id}/logs", params={"before": "abc", "audit": "x"}
    )

    assert answer.status_code == 200
    assert "change-000" in answer.text
