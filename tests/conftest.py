"""Fixtures: settings -> database -> app -> a real server on 127.0.0.1 -> client.

Every test gets an empty database. On SQLite that is a copy of a file migrated
once per run; with ``ROLLCALL_TEST_DATABASE_URL`` set to a PostgreSQL URL, the
run creates a database of its own beside the one named there, migrates it once
and empties every table after each test, so that concurrent runs never meet.
"""

import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from rollcall.app import create_app
from rollcall.config import Settings
from rollcall.storage.db import Base, unit_of_work
from rollcall.storage.migrate import upgrade

PUBLIC_URL = "http://127.0.0.1"


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: an SQLite file to copy, or a PostgreSQL URL."""
    postgres_url = os.environ.get("ROLLCALL_TEST_DATABASE_URL")
    if not postgres_url:
        path = tmp_path_factory.mktemp("template") / "rollcall.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    url = make_url(postgres_url).set(drivername="postgresql+psycopg")
    name = f"rollcall_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    test_url = url.set(database=name).render_as_string(hide_password=False)
    upgrade(test_url)
    yield test_url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    if database_template.startswith("postgresql"):
        yield database_template
        _empty_tables(database_template)
        return
    path = tmp_path / "rollcall.db"
    shutil.copyfile(database_template, path)
    yield f"sqlite:///{path}"


def _empty_tables(url: str) -> None:
    # DELETE rather than TRUNCATE: on the few rows a test leaves, TRUNCATE of
    # every table costs several times more per test, which is minutes over the
    # suite.
    engine = create_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        public_url=PUBLIC_URL,
        secret_key="test-secret-key-that-is-long-enough-1234",  # type: ignore[arg-type]
        log_level="WARNING",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    """A unit of work on the app's database for setting up and checking state;
    committed when the test ends. Call ``db.commit()`` before HTTP requests that
    must see what the test wrote."""
    with unit_of_work(app.state.sessionmaker) as session:
        yield session


class LiveServer:
    """Uvicorn serving ``app`` on a free port of 127.0.0.1, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as live:
        yield live


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client talking to the live server over the loopback."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
