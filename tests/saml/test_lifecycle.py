"""The deactivation gate end to end: SCIM-style domain calls change a member's
state, and sign-in and ``/api/session`` over HTTP follow at once."""

import httpx
from sqlalchemy import select

from rollcall.domain import members, orgs
from rollcall.domain.audit import Actor
from rollcall.domain.members import MemberInput
from rollcall.storage.models import AuditEntry, Member, MemberState, Org
from tests.saml import idp as shapes
from tests.saml.conftest import Work
from tests.saml.idp import TestIdP, post_acs, start_login

IDP_ACTOR = Actor("idp", "scim test")
EMAIL = "ada@example.com"


def sign_in(http: httpx.Client, org: Org, test_idp: TestIdP) -> httpx.Response:
    request_id = start_login(http, org.public_id)
    return post_acs(
        http,
        org.public_id,
        shapes.jumpcloud(test_idp, org.public_id, EMAIL, request_id),
    )


def provision(work: Work, org: Org, active: bool = True) -> str:
    with work() as db:
        data = MemberInput(user_name=EMAIL, given_name="Ada", active=active)
        return members.provision(db, db.merge(org), data, IDP_ACTOR).scim_id


def set_active(work: Work, org: Org, scim_id: str, active: bool) -> None:
    with work() as db:
        current = orgs.get_org(db, org.public_id)
        member = members.get_member(db, current, scim_id)
        members.update(db, current, member, MemberInput(active=active), IDP_ACTOR)


def deprovision(work: Work, org: Org, scim_id: str) -> None:
    with work() as db:
        current = orgs.get_org(db, org.public_id)
        members.deprovision(
            db, current, members.get_member(db, current, scim_id), IDP_ACTOR
        )


def state_of(work: Work, org: Org) -> MemberState:
    with work() as db:
        query = select(Member.state).where(
            Member.org_id == org.id, Member.email_lower == EMAIL
        )
        return MemberState(db.scalars(query).one())


def last_refusal(work: Work, org: Org) -> object:
    with work() as db:
        query = (
            select(AuditEntry.detail)
            .where(AuditEntry.org_id == org.id, AuditEntry.action == "sso.refused")
            .order_by(AuditEntry.id.desc())
        )
        return db.scalars(query).first()


def test_deactivation_ends_the_session_and_refuses_sign_in_until_reactivated(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    scim_id = provision(work, org)
    assert state_of(work, org) == MemberState.PROVISIONED

    assert sign_in(http, org, test_idp).status_code == 303
    assert state_of(work, org) == MemberState.ACTIVE
    assert http.get("/api/session").json()["member"]["id"] == scim_id

    set_active(work, org, scim_id, False)
    assert http.get("/api/session").status_code == 401
    refused = sign_in(http, org, test_idp)
    assert refused.status_code == 403
    assert "removed by your organisation&#39;s administrator" in refused.text
    assert last_refusal(work, org) == {"reason": "deactivated"}
    assert http.get("/api/session").status_code == 401

    set_active(work, org, scim_id, True)
    assert state_of(work, org) == MemberState.REACTIVATED
    assert sign_in(http, org, test_idp).status_code == 303
    assert state_of(work, org) == MemberState.ACTIVE
    assert http.get("/api/session").json()["member"]["id"] == scim_id


def test_member_provisioned_as_inactive_cannot_sign_in(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    provision(work, org, active=False)

    refused = sign_in(http, org, test_idp)

    assert refused.status_code == 403
    assert "Your access was removed" in refused.text
    assert state_of(work, org) == MemberState.DEACTIVATED


def test_deprovisioned_member_cannot_sign_in_until_provisioned_again(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    scim_id = provision(work, org)
    assert sign_in(http, org, test_idp).status_code == 303

    deprovision(work, org, scim_id)
    assert http.get("/api/session").status_code == 401
    refused = sign_in(http, org, test_idp)
    assert refused.status_code == 403
    assert "removed by your organisation&#39;s administrator" in refused.text
    assert last_refusal(work, org) == {"reason": "deprovisioned"}
    assert state_of(work, org) == MemberState.DEPROVISIONED

    assert provision(work, org) == scim_id
    assert sign_in(http, org, test_idp).status_code == 303
    assert state_of(work, org) == MemberState.ACTIVE


def test_member_who_joined_by_sign_in_is_gated_too(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    assert sign_in(http, org, test_idp).status_code == 303
    scim_id = http.get("/api/session").json()["member"]["id"]

    set_active(work, org, scim_id, False)

    assert http.get("/api/session").status_code == 401
    assert sign_in(http, org, test_idp).status_code == 403
