"""Certificate rollover: metadata listing the old and the new signing
certificate accepts both; replacing it with the new one alone drops the old."""

import httpx
import pytest

from rollcall.domain import orgs
from rollcall.saml.keys import KeyPair
from rollcall.saml.sp import parse_idp_metadata
from rollcall.storage.models import Org
from tests.factories import OPERATOR
from tests.saml import idp as shapes
from tests.saml.conftest import Work
from tests.saml.idp import TestIdP, post_acs, start_login


def configure(work: Work, org: Org, metadata: str) -> None:
    with work() as db:
        current = orgs.get_org(db, org.public_id)
        orgs.configure_sso(db, current, parse_idp_metadata(metadata), OPERATOR)


def sign_in_with(http: httpx.Client, org: Org, idp: TestIdP, email: str) -> int:
    request_id = start_login(http, org.public_id)
    xml = shapes.jumpcloud(idp, org.public_id, email, request_id)
    return post_acs(http, org.public_id, xml).status_code


@pytest.fixture
def next_idp(test_idp: TestIdP, new_idp_keys: KeyPair) -> TestIdP:
    """The same IdP after it moved to its new key."""
    return TestIdP(new_idp_keys, test_idp.entity_id, test_idp.sso_url)


def test_metadata_with_old_and_new_certificates_accepts_both_keys(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, next_idp: TestIdP
) -> None:
    configure(work, org, test_idp.metadata(certs=[test_idp.keys, next_idp.keys]))

    assert sign_in_with(http, org, test_idp, "old@example.com") == 303
    assert sign_in_with(http, org, next_idp, "new@example.com") == 303


def test_replacing_metadata_keeps_sign_in_working_with_the_new_key_only(
    http: httpx.Client, work: Work, org: Org, test_idp: TestIdP, next_idp: TestIdP
) -> None:
    configure(work, org, test_idp.metadata(certs=[test_idp.keys, next_idp.keys]))
    assert sign_in_with(http, org, test_idp, "ada@example.com") == 303

    configure(work, org, next_idp.metadata())

    assert sign_in_with(http, org, next_idp, "ada@example.com") == 303
    assert sign_in_with(http, org, test_idp, "ada@example.com") == 403
