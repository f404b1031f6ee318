"""The provisioning log and the audit log pages."""

import httpx

from rollcall.storage import writes
from rollcall.storage.models import Org, ProvisioningLogEntry
from tests.dashboard.conftest import Work
from tests.dashboard.helpers import csrf_of, load_member, sign_in
from tests.factories import make_member, make_org


def _org_with_log(work: Work) -> Org:
    with work() as db:
        org = make_org(db)
        ada = make_member(db, org, "ada@example.com")
        for status, detail in ((201, None), (409, "a member with userName exists")):
            writes.add_provisioning_log(
                db,
                ProvisioningLogEntry(
                    org_id=org.id,
                    request_id=f"req-{status}",
                    method="POST",
                    operation="create user",
                    member_scim_id=ada.scim_id,
                    status=status,
                    detail=detail,
                ),
            )
    with work() as db:
        other = make_org(db, name="Other", domains=("other.test",))
        writes.add_provisioning_log(
            db,
            ProvisioningLogEntry(
                org_id=other.id,
                request_id="req-other-org",
                method="DELETE",
                operation="delete user",
                status=204,
            ),
        )
    return org


def test_provisioning_log_shows_requests_with_member_and_error(
    http: httpx.Client, work: Work
) -> None:
    org = _org_with_log(work)
    sign_in(http, work, org, "owner@example.com")
    url = f"/orgs/{org.public_id}/logs"

    page = http.get(url).text
    assert "req-201" in page and "req-409" in page
    assert "a member with userName exists" in page
    assert "ada@example.com" in page
    assert "req-other-org" not in page

    failed = http.get(url, params={"outcome": "failed"}).text
    assert "req-409" in failed and "req-201" not in failed
    succeeded = http.get(url, params={"outcome": "succeeded"}).text
    assert "req-201" in succeeded and "req-409" not in succeeded
    assert "req-201" in http.get(url, params={"outcome": "bogus"}).text


def test_audit_log_names_the_admin_behind_a_change(
    http: httpx.Client, work: Work
) -> None:
    org = _org_with_log(work)
    page = sign_in(http, work, org, "owner@example.com")
    ada = load_member(work, org, "ada@example.com")
    http.post(
        f"/orgs/{org.public_id}/members/{ada.scim_id}/role",
        data={"csrf_token": csrf_of(page.text), "role": "admin"},
    )

    logs = http.get(f"/orgs/{org.public_id}/logs").text
    audit = logs.split('id="audit-h"')[1]
    first_row = audit.split("<tbody>")[1].split("</tr>")[0]
    assert "Role changed" in first_row
    assert "ada@example.com" in first_row
    assert '<span class="kind">admin</span> owner@example.com' in first_row
    assert "old: member; new: admin" in first_row


def test_real_scim_failure_shows_in_provisioning_log(
    http: httpx.Client, work: Work
) -> None:
    """A token made on the SSO page, a refused SCIM create, its detail in the log."""
    with work() as db:
        org = make_org(db)
    page = sign_in(http, work, org, "owner@example.com")
    shown = http.post(
        f"/orgs/{org.public_id}/scim/tokens", data={"csrf_token": csrf_of(page.text)}
    )
    token = shown.text.split('id="new-token" value="')[1].split('"')[0]

    refused = http.post(
        f"/scim/v2/{org.public_id}/Users",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "stranger@elsewhere.test",
        },
    )
    assert refused.status_code == 400

    failed = http.get(f"/orgs/{org.public_id}/logs", params={"outcome": "failed"})
    assert "not an SSO domain of this org" in failed.text
    assert "elsewhere.test" in failed.text
    assert '<span class="status">400</span>' in failed.text
