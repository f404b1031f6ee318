"""ASGI middleware for ``/scim/``: tolerant paths and the provisioning log.

JumpCloud and others build request URLs by appending ``/Users`` to the base URL
the admin pasted, so a trailing slash there becomes ``/scim/v2/{org}//Users``;
such paths are normalised before routing.

Every request of an authenticated org is recorded in the provisioning log. A
request that succeeded has its entry written in its own transaction already
(:mod:`rollcall.scim.provisioning`); a failed one rolls back, and failures are
what the admin needs to see, so this middleware writes their entries in a
transaction of their own. The entry is written before the last chunk of the
response is sent, so a client that has read a response can rely on its log
entry being there.
"""

import logging
import re
from typing import Any

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rollcall import metrics
from rollcall.domain import provisioning_log
from rollcall.domain.provisioning_log import RequestSummary
from rollcall.scim.provisioning import summarise

log = logging.getLogger(__name__)

SCIM_PREFIX = "/scim/"
REPEATED_SLASHES = re.compile(r"/{2,}")
MAX_ERROR_BODY = 8192


class SCIMMiddleware:
    """Normalises ``/scim/`` paths and logs each authenticated SCIM request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(SCIM_PREFIX):
            await self.app(scope, receive, send)
            return
        _normalise_path(scope)
        recorder = _Recorder(scope, send)
        try:
            await self.app(scope, receive, recorder.send)
        except Exception:
            await recorder.finish(500)
            raise


def _normalise_path(scope: Scope) -> None:
    path = REPEATED_SLASHES.sub("/", scope["path"]).rstrip("/") or "/"
    if path != scope["path"]:
        scope["path"] = path
        scope["raw_path"] = path.encode()


class _Recorder:
    """Watches one response go out and logs it before its last chunk is sent."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope = scope
        self.downstream = send
        self.status = 500
        self.error_body = bytearray()
        self.done = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            if self.status >= 400 and len(self.error_body) < MAX_ERROR_BODY:
                self.error_body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await self.finish(self.status)
        await self.downstream(message)

    async def finish(self, status: int) -> None:
        if self.done:
            return
        self.done = True
        state: dict[str, Any] = self.scope.get("state", {})
        summary = summarise(self.scope, status, bytes(self.error_body))
        metrics.count_scim(summary.operation, status)
        org_id = state.get("scim_org_id")
        if org_id is None or state.get("scim_logged_status") == status:
            return
        app = self.scope["app"]
        factory = app.state.sessionmaker
        keep = app.state.settings.provisioning_log_keep
        await anyio.to_thread.run_sync(_write, factory, org_id, summary, keep)


def _write(
    factory: sessionmaker[Session], org_id: int, summary: RequestSummary, keep: int
) -> None:
    try:
        with factory.begin() as db:
            provisioning_log.record_request(db, org_id, summary, keep=keep)
    except Exception:
        log.warning("provisioning log entry not written", exc_info=True)
