"""One email rule for every way in: ASCII dot-atom local part, LDH domain labels."""

import json

import pytest
from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.domain.members import SignInRefusedError
from tests.factories import make_org
from tests.scim.conftest import SCIMClient, assert_scim_error, user_body

REFUSED = [
    '"ada"@example.com',
    "ada(comment)@example.com",
    "ada,b@example.com",
    "ada;b@example.com",
    "ada:b@example.com",
    "<ada>@example.com",
    ".ada@example.com",
    "ada.@example.com",
    "ada..b@example.com",
    "ada\u202e@example.com",
    "ada\u200b@example.com",
    "\ufeffada@example.com",
    "\u0430da@example.com",
    "\u212aelvin@example.com",
    "ada@example.com.",
    "ada@-example.com",
    "ada@exam_ple.com",
    "ada@@example.com",
    "ada @example.com",
    "a" * 65 + "@example.com",
]
ACCEPTED = [
    "ada@example.com",
    "ada.lovelace@example.com",
    "first+last@example.com",
    "o'brien@example.com",
    "a_b-c@example.com",
    "x!#$%&*/=?^`{|}~@example.com",
]


@pytest.mark.parametrize("email", REFUSED)
def test_scim_post_refuses_a_loose_email(scim: SCIMClient, email: str) -> None:
    response = scim.request(
        "POST",
        "/Users",
        content=json.dumps(user_body(email)).encode(),
        headers={"Content-Type": "application/scim+json"},
    )

    detail = assert_scim_error(response, 400, "invalidValue")
    assert "userName" in detail
    assert scim.get("/Users").json()["totalResults"] == 0


@pytest.mark.parametrize("email", ACCEPTED)
def test_scim_post_accepts_ordinary_addresses(scim: SCIMClient, email: str) -> None:
    assert scim.create(email)["userName"] == email


@pytest.mark.parametrize("email", REFUSED)
def test_sso_sign_in_refuses_a_loose_email(db: Session, email: str) -> None:
    org = make_org(db)

    with pytest.raises(SignInRefusedError) as refused:
        members.sign_in(db, org, email, "Ada", None, Actor("sso", "test"))

    assert refused.value.reason == "bad_email"


def test_sso_sign_in_drops_names_it_cannot_store(db: Session) -> None:
    org = make_org(db)

    member = members.sign_in(
        db, org, "ada@example.com", "Ada\x00", "Love\x1blace", Actor("sso", "t")
    )

    assert member.given_name is None
    assert member.family_name is None
