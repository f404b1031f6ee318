"""Signing keys for the SAML tests, made once per run (RSA key generation is slow)."""

import pytest

from rollcall.saml.keys import KeyPair, generate_key_pair
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
