"""Name limits on every path into a member, and errors that use SCIM's names."""

import pytest
from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import MAX_NAME_LENGTH, MemberInput
from rollcall.errors import InvalidInputError
from tests.factories import make_org

IDP = Actor("idp", "test")


@pytest.mark.parametrize(
    ("field", "scim_name"),
    [
        ("given_name", "name.givenName"),
        ("family_name", "name.familyName"),
        ("formatted_name", "name.formatted"),
        ("display_name", "displayName"),
        ("external_id", "externalId"),
    ],
)
def test_too_long_scim_value_is_refused_naming_the_scim_attribute(
    db: Session, field: str, scim_name: str
) -> None:
    org = make_org(db)
    data = MemberInput(user_name="ada@example.com", **{field: "x" * 257})

    with pytest.raises(InvalidInputError) as raised:
        members.provision(db, org, data, IDP)

    assert raised.value.detail.startswith(f"{scim_name} is longer than")
    assert field not in raised.value.detail


def test_derived_formatted_name_never_exceeds_the_limit(db: Session) -> None:
    org = make_org(db)
    given = family = "x" * MAX_NAME_LENGTH
    data = MemberInput(
        user_name="ada@example.com", given_name=given, family_name=family
    )

    member = members.provision(db, org, data, IDP)

    assert member.formatted_name is not None
    assert len(member.formatted_name) == MAX_NAME_LENGTH


def test_sign_in_cuts_over_long_names_to_the_limit(db: Session) -> None:
    org = make_org(db)

    member = members.sign_in(db, org, "ada@example.com", "g" * 999, "f" * 999, IDP)

    assert member.given_name == "g" * MAX_NAME_LENGTH
    assert member.family_name == "f" * MAX_NAME_LENGTH
