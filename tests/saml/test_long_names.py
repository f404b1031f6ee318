"""Names from an IdP's assertion obey the same length limit as SCIM's: an
over-long name is cut to the limit rather than refusing the person's sign-in."""

import httpx
from sqlalchemy import select

from rollcall.domain.members import MAX_NAME_LENGTH
from rollcall.storage.models import Member, Org
from tests.saml import idp as shapes
from tests.saml.conftest import Work
from tests.saml.idp import TestIdP, post_acs, start_login


def test_sign_in_with_5000_character_names_stores_them_cut_to_the_limit(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP
) -> None:
    request_id = start_login(http, org.public_id)
    given, family = "G" * 5000, "F" * 5000
    xml = shapes.okta(
        test_idp, org.public_id, "ada@example.com", given, family, request_id
    )

    answer = post_acs(http, org.public_id, xml)

    assert answer.status_code == 303, answer.text
    with work() as db:
        member = db.scalars(select(Member).where(Member.org_id == org.id)).one()
    assert member.given_name == "G" * MAX_NAME_LENGTH
    assert member.family_name == "F" * MAX_NAME_LENGTH
    assert member.formatted_name is not None
    assert len(member.formatted_name) <= MAX_NAME_LENGTH
    shown = http.get("/api/session").json()["member"]["display_name"]
    assert len(shown) <= MAX_NAME_LENGTH
