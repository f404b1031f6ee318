"""CSRF tokens for the Manage Team forms and security headers on HTML responses.

A form's CSRF token is an HMAC, under the instance's secret key, of the hash of
the session it was rendered for: it needs no storage, every instance computes
the same value, and it dies with the session. The one form shown before a
session exists (confirming an admin sign-in link) binds its token to the link
instead.
"""

import hashlib
import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rollcall.config import Settings
from rollcall.errors import ForbiddenError
from rollcall.web import BASE_POLICY

CSRF_FIELD = "csrf_token"

# Forms post to this site only; the SAML hand-over page names the IdP it posts
# to (:func:`rollcall.web.policy_posting_to`).
CONTENT_SECURITY_POLICY = f"{BASE_POLICY}; form-action 'self'"
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
HTML_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    # The admin sign-in link carries its secret in the path: never leak it.
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


def csrf_token(settings: Settings, bound_to: str) -> str:
    """The CSRF token for forms of the session (or link) whose hash is ``bound_to``."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + bound_to.encode(), hashlib.sha256).hexdigest()


def check_csrf(settings: Settings, bound_to: str, sent: object) -> None:
    """Refuse a form post whose token is missing or not the one we issued.

    :raises ForbiddenError: the token is missing or wrong.
    """
    expected = csrf_token(settings, bound_to)
    if not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise ForbiddenError(
            "this form has expired or did not come from this site; reload the page "
            "and try again"
        )


class SecurityHeadersMiddleware:
    """Adds ``nosniff`` to every response, and to HTML pages a content security
    policy, framing and referrer rules and ``no-store``.

    A response that sets one of these headers itself keeps its own value, so a
    page with needs of its own (a SAML auto-submit form) can say so.
    """

    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        # Browsers honour HSTS only over HTTPS; the public URL says whether
        # this instance is reached that way (behind a TLS-terminating proxy).
        self.always = [(b"x-content-type-options", b"nosniff")]
        if https:
            self.always.append(HSTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_security_headers(
                    list(message.get("headers", [])), self.always
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_security_headers(
    headers: list[tuple[bytes, bytes]],
    always: list[tuple[bytes, bytes]] | None = None,
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    content_type = next(
        (value for name, value in headers if name.lower() == b"content-type"), b""
    )
    wanted = list(always or [(b"x-content-type-options", b"nosniff")])
    if content_type.startswith(b"text/html"):
        wanted.extend(HTML_HEADERS)
    return headers + [(n, v) for n, v in wanted if n not in present]
