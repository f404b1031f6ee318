"""Logging: one line per request, keyed by a request id, never with a secret.

``configure_logging`` routes the standard library's records through structlog,
which renders JSON in production and readable lines in development. The
:class:`RequestIdMiddleware` gives each request an id (or keeps a sane
``X-Request-ID`` from a proxy), returns it in the response header, and writes
the request line: method, route, status, duration and org, no query string.
"""

import logging
import re
import secrets
import time
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rollcall.config import Settings

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
log = logging.getLogger("rollcall.request")

REQUEST_ID_HEADER = b"x-request-id"
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _add_request_id(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event.setdefault("request_id", request_id_var.get())
    return event


def _drop_color_message(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Uvicorn passes an ANSI-coloured copy of its message as an ``extra``.
    event.pop("color_message", None)
    return event


def configure_logging(settings: Settings) -> None:
    """Install one handler on the root logger, rendering JSON or console lines."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.ExtraAdder(),
            _drop_color_message,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_request_id,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    for noisy in ("uvicorn.access", "uvicorn.error"):
        logging.getLogger(noisy).handlers = []
        logging.getLogger(noisy).propagate = noisy != "uvicorn.access"


class RequestIdMiddleware:
    """Tags the request with an id, echoes it back, and logs the request line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or secrets.token_hex(8)
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log_request(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            return text if SAFE_REQUEST_ID.match(text) else None
    return None


def _log_request(scope: Scope, status: int, seconds: float) -> None:
    route = scope.get("route")
    state = scope.get("state", {})
    log.info(
        "request",
        extra={
            "method": scope.get("method"),
            "route": getattr(route, "path", None) or "unmatched",
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "org": state.get("org_public_id"),
        },
    )
