"""Dependencies shared by the edges: settings, the request's unit of work.

The database session is opened per request with ``scope="function"``, so the
transaction commits (or rolls back) before the response is sent: a client that
sees a 2xx can rely on the change being stored.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session, sessionmaker

from rollcall.config import Settings
from rollcall.domain import sessions
from rollcall.domain.sessions import SignedIn
from rollcall.storage.db import unit_of_work


async def get_settings(request: Request) -> Settings:
    # async: FastAPI runs a plain function in its thread pool, a hop that costs
    # more CPU than this whole function.
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with unit_of_work(factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db, scope="function")]


SESSION_COOKIE = "rollcall_session"


def get_signed_in(request: Request, db: DbSession) -> SignedIn | None:
    """The live session of this browser, or None. Ends at once when the member
    may no longer sign in (see :func:`rollcall.domain.sessions.resolve_session`)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    signed_in = sessions.resolve_session(db, raw)
    if signed_in is not None:
        request.state.org_public_id = signed_in.org.public_id
    return signed_in


def set_session_cookie(response: Response, raw: str, settings: Settings) -> None:
    """Set the session cookie: HTTP-only, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.public_url.startswith("https://"),
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


SignedInDep = Annotated[SignedIn | None, Depends(get_signed_in)]
