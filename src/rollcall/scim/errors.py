"""SCIM errors (RFC 7644 §3.12) and the one renderer for their JSON body.

Each error class fixes its HTTP status and ``scimType``; the ``detail`` is what
the IdP's admin reads, so it names the bad value and says what was expected.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi.responses import JSONResponse

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_MEDIA_TYPE = "application/scim+json"


class SCIMError(Exception):
    """A SCIM error response; subclasses set ``status`` and ``scim_type``."""

    status: ClassVar[int] = 400
    scim_type: ClassVar[str | None] = None

    def __init__(self, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class InvalidSyntaxError(SCIMError):
    """The body or a parameter cannot be parsed (§3.12 ``invalidSyntax``)."""

    scim_type = "invalidSyntax"


class InvalidValueError(SCIMError):
    """A value is missing or breaks a rule (§3.12 ``invalidValue``)."""

    scim_type = "invalidValue"


class InvalidPathError(SCIMError):
    """A PATCH path is malformed or names nothing (§3.12 ``invalidPath``)."""

    scim_type = "invalidPath"


class NoTargetError(SCIMError):
    """A PATCH path matched no value (§3.12 ``noTarget``)."""

    scim_type = "noTarget"


class TooManyError(SCIMError):
    """The request asks for too much at once (§3.12 ``tooMany``)."""

    scim_type = "tooMany"


class UnauthorizedError(SCIMError):
    """No valid bearer token for this org (§3.12, status 401)."""

    status = 401


class NotFoundSCIMError(SCIMError):
    """The resource does not exist here (status 404)."""

    status = 404


class PayloadTooLargeError(SCIMError):
    status = 413


class UnsupportedMediaTypeError(SCIMError):
    """The body is not JSON (status 415)."""

    status = 415


class NotImplementedByServiceError(SCIMError):
    """A SCIM feature Rollcall does not offer (Bulk, /Me): status 501."""

    status = 501


class RateLimitedError(SCIMError):
    status = 429


def error_body(status: int, detail: str, scim_type: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(status),
        "detail": detail,
    }
    if scim_type is not None:
        body["scimType"] = scim_type
    return body


def error_response(
    status: int,
    detail: str,
    scim_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(status, detail, scim_type),
        status_code=status,
        media_type=SCIM_MEDIA_TYPE,
        headers=headers,
    )
