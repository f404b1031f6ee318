"""Dependencies shared by the edges: settings, the request's unit of work.

The database session is opened per request with ``scope="function"``, so the
transaction commits (or rolls back) before the response is sent: a client that
sees a 2xx can rely on the change being stored.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from rollcall.config import Settings
from rollcall.storage.db import unit_of_work


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with unit_of_work(factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db, scope="function")]
