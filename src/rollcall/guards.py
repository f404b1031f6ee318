"""ASGI middleware that guards every request before the routes see it.

:class:`CleanRequestMiddleware` refuses a path or query string that does not
decode to text a database can hold (a NUL, invalid UTF-8, a lone surrogate):
PostgreSQL rejects NUL in text, and such a value is never a real org id,
member id or search. :class:`UnexpectedErrorMiddleware` renders an unexpected
exception inside the request-id scope (it sits within
:class:`rollcall.logs.RequestIdMiddleware`), so the 500 answer carries
``X-Request-ID`` and its log line the same id. :class:`BodyLimitMiddleware`
caps the body of every request outside ``/scim/`` (which has a limit of its
own), by its Content-Length and as it streams, before a form parser reads it.
"""

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# (request, status, title, detail, SCIM scimType) -> the answer in the
# request's protocol.
Refuse = Callable[[Request, int, str, str, str], Response]
# (request, exception) -> the 500 answer; it also logs the exception.
RenderUnexpected = Callable[[Request, Exception], Response]


class CleanRequestMiddleware:
    """Answers 400 to a request whose path or query cannot be read as text."""

    def __init__(self, app: ASGIApp, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = unreadable_part(scope)
            if problem is not None:
                detail = (
                    f"the {problem} of this request cannot be read: it holds a NUL "
                    "character or bytes that are not UTF-8 text"
                )
                # RFC 7644 §3.12: a bad filter is invalidFilter, else invalidValue.
                scim_type = "invalidFilter" if "filter" in problem else "invalidValue"
                response = self.refuse(
                    Request(scope), 400, "Bad request", detail, scim_type
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def unreadable_part(scope: Scope) -> str | None:
    """The part of the request that is not clean text (its address, or a named
    query parameter), else None."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
    if not _is_clean_text(unquote_to_bytes(raw_path)):
        return "address"
    for pair in scope.get("query_string", b"").split(b"&"):
        name, _, value = pair.partition(b"=")
        name_text = unquote_to_bytes(name.replace(b"+", b" "))
        if not _is_clean_text(name_text):
            return "query"
        if not _is_clean_text(unquote_to_bytes(value.replace(b"+", b" "))):
            return f"query parameter {name_text.decode()[:40]!r}"
    return None


def _is_clean_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")  # strict: refuses surrogates and bad bytes
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


class UnexpectedErrorMiddleware:
    """Turns an exception no handler took into the 500 answer, within the
    request-id scope; once a response has started it can only re-raise."""

    def __init__(self, app: ASGIApp, render: RenderUnexpected) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            await self.render(Request(scope), exc)(scope, receive, send)


class BodyTooLargeError(Exception):
    """The request body passed the limit while it was being read."""


class BodyLimitMiddleware:
    """Answers 413 to a non-SCIM request whose body is over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int, refuse: Refuse) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/scim/"):
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        read = 0
        overflowed = started = False

        async def limited_receive() -> Message:
            nonlocal read, overflowed
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes:
                    overflowed = True
                    raise BodyTooLargeError
            return message

        async def send_unless_overflowed(message: Message) -> None:
            # A framework may turn the error into its own 400; ours is the answer.
            nonlocal started
            if overflowed:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, send_unless_overflowed)
        except Exception:
            if not overflowed:
                raise
        if overflowed and not started:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = f"{self.max_bytes / (1024 * 1024):g} MiB"
        detail = f"the request is too large: a form may send at most {limit}"
        response = self.refuse(
            Request(scope), 413, "Request too large", detail, "invalidValue"
        )
        await response(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
