"""SAML routes: SP metadata, SP-initiated login, the assertion consumer service,
sign-out, and ``/api/session`` for the host application.

Every refused sign-in ends on a page that says why in plain words, is audited
as ``sso.refused`` with its reason code (never the assertion), and creates no
member. SAML messages are never logged.
"""

import logging
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.config import Settings
from rollcall.deps import (
    SESSION_COOKIE,
    DbSession,
    SettingsDep,
    SignedInDep,
    clear_session_cookie,
    set_session_cookie,
)
from rollcall.domain import orgs, sessions, sso
from rollcall.domain.members import SignInRefusedError
from rollcall.saml import devidp, jit, pages, sp
from rollcall.saml.sp import SAMLError
from rollcall.storage.models import Member, Org
from rollcall.web import error_page

log = logging.getLogger(__name__)
router = APIRouter()
router.include_router(devidp.router)

MAX_RELAY_STATE: Final = 1024
REMOVED_REASONS: Final = {"deactivated", "deprovisioned"}


@router.get("/sso/{org_id}/metadata")
def metadata(
    request: Request, org_id: str, db: DbSession, settings: SettingsDep
) -> Response:
    """The SP metadata to give the IdP; served before the IdP is configured too."""
    org = _org(request, db, org_id)
    return Response(sp.sp_metadata(settings, org), media_type="application/xml")


@router.get("/sso/{org_id}/login")
def login(
    request: Request,
    org_id: str,
    db: DbSession,
    settings: SettingsDep,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """Send the browser to the org's IdP with a fresh AuthnRequest."""
    org = _org(request, db, org_id)
    try:
        start = sp.start_login(settings, org)
    except SAMLError as exc:
        return error_page(request, 409, "Single sign-on is not set up", exc.detail)
    sso.remember_request(db, org, start.request_id, safe_path(next_path))
    if start.binding == sp.HTTP_POST:
        fields = {"SAMLRequest": start.saml_request}
        return pages.auto_post(request, start.url, fields, "Taking you to sign in")
    return RedirectResponse(start.url, status_code=303)


@router.post("/sso/{org_id}/acs")
def assertion_consumer(
    request: Request,
    org_id: str,
    db: DbSession,
    settings: SettingsDep,
    saml_response: Annotated[str | None, Form(alias="SAMLResponse")] = None,
    relay_state: Annotated[str | None, Form(alias="RelayState")] = None,
) -> Response:
    """Check the IdP's response, sign the member in and start their session."""
    org = _org(request, db, org_id)
    try:
        member, target = _accept(db, settings, org, saml_response, relay_state)
    except (SAMLError, SignInRefusedError) as exc:
        return _refuse(request, db, org, exc)

    raw = sessions.start_session(
        db, org, member, via="sso", hours=settings.session_hours
    )
    log.info("sso sign-in", extra={"org": org.public_id, "member": member.scim_id})
    metrics.count_sign_in(True, "ok")
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, raw, settings)
    return response


@router.api_route("/sso/logout", methods=["GET", "POST"])
def logout(request: Request, db: DbSession) -> Response:
    """End this browser's session (not the IdP's)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        sessions.end_session(db, raw)
    response = pages.render(request, "saml/signed_out.html", {})
    clear_session_cookie(response)
    return response


@router.get("/api/session")
def current_session(signed_in: SignedInDep) -> JSONResponse:
    """Who is signed in, for the host application; 401 without a live session."""
    headers = {"Cache-Control": "no-store"}
    if signed_in is None:
        return JSONResponse(
            {"detail": "not signed in"}, status_code=401, headers=headers
        )
    member, org = signed_in.member, signed_in.org
    body = {
        "member": {
            "id": member.scim_id,
            "email": member.email,
            "given_name": member.given_name,
            "family_name": member.family_name,
            "display_name": member.display_name
            or member.formatted_name
            or member.email,
            "role": str(member.role),
        },
        "org": {"id": org.public_id, "name": org.name},
    }
    return JSONResponse(body, headers=headers)


def safe_path(value: str | None) -> str | None:
    """``value`` if it is a path on this site ("/..."), else None: never a URL
    to elsewhere, "//host", a backslash trick or a control character."""
    if not value or len(value) > MAX_RELAY_STATE:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def _org(request: Request, db: Session, org_id: str) -> Org:
    org = orgs.get_org(db, org_id)
    request.state.org_public_id = org.public_id
    return org


def _accept(
    db: Session,
    settings: Settings,
    org: Org,
    saml_response: str | None,
    relay_state: str | None,
) -> tuple[Member, str]:
    """The member signed in by ``saml_response`` and where to send them next."""
    if not saml_response:
        raise SAMLError(
            "missing",
            "no sign-in response arrived; start again from your organisation's "
            "sign-in link",
        )
    response = sp.SAMLResponse(settings, org, saml_response)
    request_id = response.in_response_to
    if request_id is None:
        sso.allow_unsolicited(org)
        wanted = safe_path(relay_state)
    else:
        wanted = safe_path(sso.answer_request(db, org, request_id))

    assertion = response.validate(request_id)
    sso.use_assertion_once(db, org, assertion.assertion_id, assertion.expires_at)
    member = jit.sign_in(db, org, assertion)
    return member, wanted or f"/orgs/{org.public_id}/team"


def _refuse(
    request: Request, db: Session, org: Org, exc: SAMLError | SignInRefusedError
) -> Response:
    sso.record_refusal(db, org, exc.reason)
    log.info("sso refused", extra={"org": org.public_id, "reason": exc.reason})
    metrics.count_sign_in(False, exc.reason)
    if exc.reason in REMOVED_REASONS:
        title = "Your access was removed"
        message = (
            f"Your access to {org.name} was removed by your organisation's "
            "administrator. If you think this is a mistake, contact them."
        )
        return error_page(request, 403, title, message)
    status = 400 if exc.reason in ("missing", "malformed") else 403
    return error_page(request, status, "Sign-in refused", _sentence(exc.detail))


def _sentence(detail: str) -> str:
    """``detail`` as a sentence; an email at its start keeps its own case."""
    first_word = detail.split(" ", 1)[0]
    if "@" not in first_word:
        detail = detail[:1].upper() + detail[1:]
    return detail.rstrip(".") + "."
