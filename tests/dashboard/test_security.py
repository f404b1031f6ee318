"""CSRF tokens and the security headers, as functions and over HTTP."""

import httpx
import pytest
from pydantic import SecretStr

from rollcall.config import Settings
from rollcall.dashboard.security import (
    CONTENT_SECURITY_POLICY,
    _with_security_headers,
    check_csrf,
    csrf_token,
)
from rollcall.errors import ForbiddenError


def test_csrf_token_is_bound_to_session_and_key(settings: Settings) -> None:
    other_key = settings.model_copy(
        update={"secret_key": SecretStr("another-key-" + "x" * 32)}
    )
    token = csrf_token(settings, "session-hash-a")

    assert token == csrf_token(settings, "session-hash-a")
    assert token != csrf_token(settings, "session-hash-b")
    assert token != csrf_token(other_key, "session-hash-a")
    check_csrf(settings, "session-hash-a", token)
    for sent in (None, "", token.upper(), csrf_token(settings, "session-hash-b")):
        with pytest.raises(ForbiddenError):
            check_csrf(settings, "session-hash-a", sent)


def test_html_gets_policy_but_keeps_its_own() -> None:
    plain = dict(_with_security_headers([(b"content-type", b"text/html")]))
    assert plain[b"content-security-policy"] == CONTENT_SECURITY_POLICY.encode()
    assert plain[b"x-frame-options"] == b"DENY"

    own = [(b"content-type", b"text/html"), (b"content-security-policy", b"x")]
    kept = _with_security_headers(own)
    assert [v for n, v in kept if n == b"content-security-policy"] == [b"x"]


def test_non_html_gets_nosniff_only(http: httpx.Client) -> None:
    answer = http.get("/healthz")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers


def test_static_script_is_served_and_allowed_by_policy(http: httpx.Client) -> None:
    answer = http.get("/static/dashboard.js")
    assert answer.status_code == 200
    assert "navigator.clipboard" in answer.text
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
