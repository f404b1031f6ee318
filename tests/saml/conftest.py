"""Signing keys for the SAML tests, made once per run (RSA key generation is slow)."""

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from rollcall.domain import orgs
from rollcall.saml.keys import KeyPair, generate_key_pair
from rollcall.saml.sp import parse_idp_metadata
from rollcall.storage.db import unit_of_work
from rollcall.storage.models import Org
from tests.factories import OPERATOR, make_org
from tests.saml.idp import TestIdP


@pytest.fixture(scope="session")
def idp_keys() -> KeyPair:
    return generate_key_pair("idp.example.test")


@pytest.fixture(scope="session")
def new_idp_keys() -> KeyPair:
    """The key an IdP rolls over to."""
    return generate_key_pair("idp.example.test (next)")


@pytest.fixture(scope="session")
def stranger_keys() -> KeyPair:
    """A key that no org's metadata lists."""
    return generate_key_pair("stranger.example.test")


@pytest.fixture
def test_idp(idp_keys: KeyPair) -> TestIdP:
    return TestIdP(idp_keys)


Work = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def work(app: FastAPI) -> Work:
    """Opens a unit of work on the app's database, committed when the block ends."""
    return lambda: unit_of_work(app.state.sessionmaker)


@pytest.fixture
def org(work: Work, test_idp: TestIdP) -> Org:
    """An org on example.com whose SSO trusts ``test_idp``."""
    with work() as db:
        org = make_org(db, sso=False, provisioning=False)
        orgs.configure_sso(db, org, parse_idp_metadata(test_idp.metadata()), OPERATOR)
    return org
