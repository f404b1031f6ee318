"""Operator commands refuse what would give away an org or hide in its data."""

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall.domain import members, orgs
from rollcall.domain.audit import Actor
from rollcall.storage.models import Member
from tests.factories import make_member
from tests.test_cli import assert_fails, create_org, env, run, run_json

__all__ = ["env"]


@pytest.mark.parametrize(
    "email",
    [
        "newowner@evil.com",
        "a@example.com\nb",
        "x@evil.com@example.com",
        '"a b"@example.com',
        "a..b@example.com",
        "\u212aelvin@example.com",
    ],
)
def test_admin_link_for_a_new_email_needs_a_valid_address_on_an_sso_domain(
    env: dict[str, str], db: Session, email: str
) -> None:
    org_id = create_org(env, "example.com")

    result = run(env, "admin-link", org_id, email, "--json")

    assert result.exit_code == 1
    assert "error" in json.loads(result.stdout)
    org = orgs.get_org(db, org_id)
    assert db.scalar(select(func.count()).where(Member.org_id == org.id)) == 0


def test_admin_link_off_domain_says_which_domains_are_allowed(
    env: dict[str, str],
) -> None:
    org_id = create_org(env, "example.com", "example.org")

    result = run(env, "admin-link", org_id, "boss@evil.com")

    assert_fails(result, "example.com, example.org")


def test_admin_link_still_works_for_an_existing_member_off_the_domains(
    env: dict[str, str],
) -> None:
    """Recovery: a member stays reachable after their domain left the org."""
    org_id = create_org(env, "example.com", "old.example")
    run_json(env, "admin-link", org_id, "boss@old.example")
    run_json(env, "org", "domain", "remove", org_id, "old.example")

    data = run_json(env, "admin-link", org_id, "BOSS@old.example")

    assert "/admin-link/" in data["url"]


def test_admin_link_for_a_deprovisioned_member_says_how_they_come_back(
    env: dict[str, str], db: Session
) -> None:
    org_id = create_org(env, "example.com")
    org = orgs.get_org(db, org_id)
    member = make_member(db, org, "gone@example.com")
    members.deprovision(db, org, member, Actor("idp", "test"))
    db.commit()

    result = run(env, "admin-link", org_id, "gone@example.com")

    assert_fails(result, "a SCIM POST of this user from the identity provider")
    assert "reactivate" not in result.stderr
