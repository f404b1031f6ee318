"""Member states and identity rules, through the domain layer."""

import pytest
from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import MemberInput
from rollcall.errors import ConflictError, InvalidInputError, MutabilityError
from rollcall.storage.models import MemberState
from tests.factories import make_member, make_org

IDP = Actor("idp", "tok_test")


def test_provision_creates_provisioned_member(db: Session) -> None:
    org = make_org(db)
    member = make_member(db, org, "Ada@Example.com")
    assert member.state == MemberState.PROVISIONED
    assert member.email == "Ada@Example.com"
    assert member.email_lower == "ada@example.com"
    assert member.formatted_name == "Ada Lovelace"


def test_provision_same_email_other_case_conflicts(db: Session) -> None:
    org = make_org(db)
    make_member(db, org, "ada@example.com")
    with pytest.raises(ConflictError):
        make_member(db, org, "ADA@example.com")


def test_provision_off_domain_names_allowed_domains(db: Session) -> None:
    org = make_org(db, domains=("example.com", "example.org"))
    with pytest.raises(InvalidInputError, match=r"example\.com, example\.org"):
        make_member(db, org, "ada@elsewhere.net")


def test_update_refuses_changed_email(db: Session) -> None:
    org = make_org(db)
    member = make_member(db, org, "ada@example.com")
    with pytest.raises(MutabilityError):
        members.update(db, org, member, MemberInput(email="bob@example.com"), IDP)
    members.update(db, org, member, MemberInput(user_name="ADA@example.com"), IDP)


def test_deprovisioned_member_is_restored_by_provision(db: Session) -> None:
    org = make_org(db)
    member = make_member(db, org, "ada@example.com")
    members.deprovision(db, org, member, IDP)
    again = make_member(db, org, "ada@example.com")
    assert again.id == member.id
    assert again.state == MemberState.PROVISIONED


def test_sign_in_refuses_deactivated_member(db: Session) -> None:
    org = make_org(db)
    member = make_member(db, org, "ada@example.com")
    members.update(db, org, member, MemberInput(active=False), IDP)
    with pytest.raises(members.SignInRefusedError) as refused:
        members.sign_in(db, org, "ada@example.com", None, None, Actor("sso", "x"))
    assert refused.value.reason == "deactivated"


def test_sign_in_creates_active_member_just_in_time(db: Session) -> None:
    org = make_org(db)
    member = members.sign_in(db, org, "New@Example.com", "N", "P", Actor("sso", "x"))
    assert member.state == MemberState.ACTIVE
    assert member.last_sign_in_at is not None
