"""Operator commands refuse what would give away an org or hide in its data."""

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall.config import Settings
from rollcall.demo import prepare_demo
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


@pytest.mark.parametrize(
    "name", ["Acme\tCorp", "\x1b[31mAcme\x1b[0m", "Acme\nCorp", "Acme\x00", "Ac\x85me"]
)
def test_org_create_refuses_control_characters_in_the_name(
    env: dict[str, str], name: str
) -> None:
    result = run(env, "org", "create", "--name", name, "--domain", "example.com")

    assert_fails(result, "control character")
    assert run_json(env, "org", "list") == []


def test_removing_the_last_sso_domain_is_refused_with_what_to_do(
    env: dict[str, str],
) -> None:
    org_id = create_org(env, "example.com")

    result = run(env, "org", "domain", "remove", org_id, "example.com")

    assert_fails(result, "add the new domain first")
    assert run_json(env, "org", "show", org_id)["domains"] == ["example.com"]


def test_removing_one_of_several_sso_domains_still_works(env: dict[str, str]) -> None:
    org_id = create_org(env, "example.com", "example.org")

    data = run_json(env, "org", "domain", "remove", org_id, "example.com")

    assert data["domains"] == ["example.org"]


@pytest.mark.parametrize(
    "url",
    [
        "example.com",
        "ftp://example.com",
        "https://",
        "https://example.com/?x=1",
        "https://example.com/#top",
        "javascript:alert(1)",
        "https://exa mple.com",
    ],
)
def test_a_public_url_that_is_not_an_absolute_http_url_stops_commands(
    env: dict[str, str], url: str
) -> None:
    result = run(env | {"ROLLCALL_PUBLIC_URL": url}, "org", "list")

    assert_fails(result, "ROLLCALL_PUBLIC_URL")


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://rollcall.example.com/", "https://rollcall.example.com"),
        ("http://127.0.0.1:8000/base", "http://127.0.0.1:8000/base"),
    ],
)
def test_an_absolute_http_public_url_is_accepted(url: str, kept: str) -> None:
    settings = Settings(public_url=url, _env_file=None)  # type: ignore[call-arg]

    assert settings.public_url == kept


def test_demo_rerun_revokes_the_tokens_earlier_runs_issued(
    db: Session, settings: Settings
) -> None:
    first = prepare_demo(db, settings)
    org = next(o for o in orgs.list_orgs(db) if o.name == "Demo Company")
    (first_token,) = orgs.list_tokens(db, org)
    manual, _raw = orgs.issue_token(db, org, Actor.operator())

    second = prepare_demo(db, settings)

    tokens = {t.public_id: t for t in orgs.list_tokens(db, org)}
    live = {key for key, token in tokens.items() if token.revoked_at is None}
    assert len(tokens) == 3
    assert first_token.public_id not in live
    assert manual.public_id in live
    assert len(live) == 2
    assert not any("revoked" in line for line in first)
    assert any("(revoked 1 SCIM token that an earlier demo" in line for line in second)
