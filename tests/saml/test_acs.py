"""Signing in through the ACS over real HTTP with JumpCloud-, Okta- and
Entra-shaped responses signed for real."""

import httpx
from sqlalchemy import select

from rollcall.storage.models import AuditEntry, Member, MemberState, Org, Role
from tests.saml import idp as shapes
from tests.saml.conftest import Work
from tests.saml.idp import TestIdP, post_acs, start_login


def members_of(work: Work, org: Org) -> list[Member]:
    with work() as db:
        query = select(Member).where(Member.org_id == org.id).order_by(Member.id)
        return list(db.scalars(query))


def audit_actions(work: Work, org: Org) -> list[tuple[str, dict[str, object]]]:
    with work() as db:
        query = select(AuditEntry).where(AuditEntry.org_id == org.id)
        return [
            (row.action, row.detail)
            for row in db.scalars(query.order_by(AuditEntry.id))
        ]


def test_jumpcloud_response_creates_member_and_session(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    xml = shapes.jumpcloud(test_idp, org.public_id, "Grace@Example.com", request_id)

    answer = post_acs(http, org.public_id, xml)

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/orgs/{org.public_id}/team"
    [member] = members_of(work, org)
    assert (member.email, member.state, member.role) == (
        "Grace@Example.com",
        MemberState.ACTIVE,
        Role.MEMBER,
    )
    session = http.get("/api/session")
    assert session.status_code == 200
    assert session.json()["member"]["email"] == "Grace@Example.com"
    assert session.json()["org"] == {"id": org.public_id, "name": org.name}
