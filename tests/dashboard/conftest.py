"""Fixtures of the dashboard tests: short units of work beside the live server."""

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from rollcall.saml.keys import KeyPair, generate_key_pair
from rollcall.storage.db import unit_of_work

Work = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def work(app: FastAPI) -> Work:
    """Opens a committed unit of work on the app's database, as often as needed."""
    return lambda: unit_of_work(app.state.sessionmaker)


@pytest.fixture(scope="session")
def idp_key() -> KeyPair:
    """A signing key for IdP metadata (made once: RSA key generation is slow)."""
    return generate_key_pair("idp.dashboard.test")
