"""Who may see and change which Manage Team page, and how pages are rendered.

Every page of ``/orgs/{org_id}`` needs a live session of that org: without one
the browser is sent to the sign-in page, and a session of another org gets a
404 (the org's existence is not revealed). Owners and admins manage; members
see the team list only. Every POST carries the session's CSRF token.
"""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from rollcall.config import Settings
from rollcall.dashboard import forms
from rollcall.dashboard.security import (
    CSRF_FIELD,
    SecurityHeadersMiddleware,
    check_csrf,
    csrf_token,
)
from rollcall.deps import SettingsDep, SignedInDep
from rollcall.domain import roles
from rollcall.domain.audit import Actor
from rollcall.domain.sessions import SignedIn
from rollcall.errors import ForbiddenError, NotFoundError
from rollcall.web import TEMPLATES


class SignInRequiredError(Exception):
    """The page needs a session and the browser has none: go to the sign-in page."""


def install(app: FastAPI) -> None:
    """Add the security headers and the sign-in redirect to ``app``."""
    settings: Settings = app.state.settings
    https = settings.public_url.startswith("https://")
    app.add_middleware(SecurityHeadersMiddleware, https=https)
    app.add_exception_handler(SignInRequiredError, _to_sign_in)


def _to_sign_in(_request: Request, _exc: Exception) -> Response:
    return RedirectResponse("/", status_code=303)


def _viewer(org_id: str, signed_in: SignedInDep) -> SignedIn:
    if signed_in is None:
        raise SignInRequiredError
    if signed_in.org.public_id != org_id:
        raise NotFoundError("there is no such organisation, or it is not yours")
    return signed_in


def _manager(signed_in: Annotated[SignedIn, Depends(_viewer)]) -> SignedIn:
    if not roles.can_manage(signed_in.member):
        raise ForbiddenError(
            "only the organisation's owners and admins can do this; ask one of them"
        )
    return signed_in


async def _manager_post(
    request: Request,
    settings: SettingsDep,
    signed_in: Annotated[SignedIn, Depends(_viewer)],
) -> SignedIn:
    form = await request.form()
    check_csrf(settings, signed_in.session.token_hash, form.get(CSRF_FIELD))
    return _manager(signed_in)


async def _session_post(
    request: Request, settings: SettingsDep, signed_in: SignedInDep
) -> SignedIn:
    if signed_in is None:
        raise SignInRequiredError
    form = await request.form()
    check_csrf(settings, signed_in.session.token_hash, form.get(CSRF_FIELD))
    return signed_in


Viewer = Annotated[SignedIn, Depends(_viewer)]
Manager = Annotated[SignedIn, Depends(_manager)]
ManagerPost = Annotated[SignedIn, Depends(_manager_post)]
SessionPost = Annotated[SignedIn, Depends(_session_post)]


def actor(signed_in: SignedIn) -> Actor:
    """The admin behind a change, as the audit log names them."""
    return Actor("admin", signed_in.member.email)


def render(
    request: Request,
    template: str,
    signed_in: SignedIn | None,
    settings: Settings,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with what every dashboard page needs."""
    if signed_in is not None:
        context.update(
            me=signed_in.member,
            org=signed_in.org,
            can_manage=roles.can_manage(signed_in.member),
            csrf=csrf_token(settings, signed_in.session.token_hash),
        )
    context.update(when=forms.when, csrf_field=CSRF_FIELD)
    return TEMPLATES.TemplateResponse(
        request, template, context, status_code=status_code
    )


def see_other(url: str) -> RedirectResponse:
    """Answer a form post with a redirect, so a reload does not post again."""
    return RedirectResponse(url, status_code=303)
