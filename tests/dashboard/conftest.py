"""Fixtures of the dashboard tests: short units of work beside the live server."""

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from rollcall.storage.db import unit_of_work

Work = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def work(app: FastAPI) -> Work:
    """Opens a committed unit of work on the app's database, as often as needed."""
    return lambda: unit_of_work(app.state.sessionmaker)
