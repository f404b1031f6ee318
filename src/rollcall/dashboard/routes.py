"""Manage Team routes: signing in, the team list, roles, removal and the logs.

The Domain Access & SSO page lives in :mod:`rollcall.dashboard.sso`. Each POST
answers with a redirect (303) to the page it came from, carrying a ``done``
code that the page turns into a notice.
"""

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request, Response

from rollcall.dashboard import forms, sso
from rollcall.dashboard.access import (
    Manager,
    ManagerPost,
    SessionPost,
    Viewer,
    actor,
    install,
    render,
    see_other,
)
from rollcall.dashboard.security import CSRF_FIELD, check_csrf, csrf_token
from rollcall.deps import (
    SESSION_COOKIE,
    DbSession,
    SettingsDep,
    SignedInDep,
    clear_session_cookie,
    set_session_cookie,
)
from rollcall.domain import members, roles, sessions, team
from rollcall.domain.orgs import hash_secret
from rollcall.errors import InvalidInputError
from rollcall.storage.models import Role

router = APIRouter()
router.include_router(sso.router)


def _team_url(org_id: str, **params: str) -> str:
    query = urlencode({k: v for k, v in params.items() if v and v != "team"})
    return f"/orgs/{org_id}/team" + (f"?{query}" if query else "")


@router.get("/")
def home(request: Request, settings: SettingsDep, signed_in: SignedInDep) -> Response:
    """Signed in: the org's team. Otherwise: how to sign in."""
    if signed_in is not None:
        return see_other(_team_url(signed_in.org.public_id))
    return render(request, "dashboard/sign_in.html", None, settings)


@router.get("/sign-in")
def sign_in(request: Request, settings: SettingsDep, org: str = "") -> Response:
    """Send the browser to the single sign-on of the org it typed."""
    try:
        org_id = forms.parse_org_id(org)
    except InvalidInputError as exc:
        return render(
            request,
            "dashboard/sign_in.html",
            None,
            settings,
            status_code=400,
            error=exc.detail,
            org_value=org[:64],
        )
    return see_other(f"/sso/{quote(org_id)}/login")


@router.get("/admin-link/{secret}")
def confirm_admin_link(
    request: Request, settings: SettingsDep, db: DbSession, secret: str
) -> Response:
    """Ask before using the link, so a link preview cannot spend it; a link
    that can no longer sign in says so instead of offering a button."""
    sessions.check_admin_link(db, secret)
    return render(
        request,
        "dashboard/admin_link.html",
        None,
        settings,
        link_csrf=csrf_token(settings, hash_secret(secret)),
    )


@router.post("/admin-link/{secret}")
def use_admin_link(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    secret: str,
    sent_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Redeem the one-time link, start a session and open the team page."""
    check_csrf(settings, hash_secret(secret), sent_token)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        sessions.end_session(db, previous)

    org, member = sessions.redeem_admin_link(db, secret)
    raw = sessions.start_session(
        db, org, member, via="admin_link", hours=settings.session_hours
    )
    response = see_other(_team_url(org.public_id))
    set_session_cookie(response, raw, settings)
    return response


@router.post("/sign-out")
def sign_out(request: Request, db: DbSession, signed_in: SessionPost) -> Response:
    """End this browser's session."""
    sessions.end_session(db, request.cookies.get(SESSION_COOKIE, ""))
    response = see_other("/")
    clear_session_cookie(response)
    return response


@router.get("/orgs/{org_id}/team")
def team_page(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    signed_in: Viewer,
    view: str | None = None,
    q: str = "",
    page: str | None = None,
    done: str | None = None,
) -> Response:
    """The team list, a view of it ("Not signed in yet", "Deactivated"), a search."""
    listing = team.list_team(
        db, signed_in.org, forms.parse_view(view), q, forms.parse_page(page)
    )
    return render(
        request,
        "dashboard/team.html",
        signed_in,
        settings,
        listing=listing,
        roles=[r.value for r in Role],
        notice=forms.notice(done),
        page_url=lambda n: _team_url(
            signed_in.org.public_id, view=listing.view, q=listing.text, page=str(n)
        ),
    )


@router.post("/orgs/{org_id}/members/{member_id}/role")
def change_role(
    db: DbSession,
    signed_in: ManagerPost,
    member_id: str,
    role: Annotated[str, Form()] = "",
    view: Annotated[str, Form()] = "",
) -> Response:
    """Give a member another role; the last owner keeps theirs."""
    member = members.get_member(db, signed_in.org, member_id)
    new_role = roles.parse_role(role)
    roles.change_role(
        db, signed_in.org, signed_in.member, member, new_role, actor(signed_in)
    )
    back = forms.parse_view(view)
    return see_other(_team_url(signed_in.org.public_id, view=back, done="role"))


@router.get("/orgs/{org_id}/members/{member_id}/remove")
def confirm_remove(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    signed_in: Manager,
    member_id: str,
) -> Response:
    """Ask before removing a member from the team."""
    member = members.get_member(db, signed_in.org, member_id)
    return render(request, "dashboard/remove.html", signed_in, settings, member=member)


@router.post("/orgs/{org_id}/members/{member_id}/remove")
def remove_member(db: DbSession, signed_in: ManagerPost, member_id: str) -> Response:
    """Remove (deactivate) a member: they can no longer sign in."""
    member = members.get_member(db, signed_in.org, member_id)
    roles.remove(db, signed_in.org, signed_in.member, member, actor(signed_in))
    return see_other(_team_url(signed_in.org.public_id, done="removed"))


@router.get("/orgs/{org_id}/logs")
def logs_page(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    signed_in: Manager,
    outcome: str | None = None,
    audit: str | None = None,
    before: str | None = None,
) -> Response:
    """The provisioning log (latest SCIM requests) and one page of the audit
    log: all of it, changes only or refused sign-ins only, older pages by
    ``before`` (an entry id)."""
    chosen = forms.parse_outcome(outcome)
    kind = forms.parse_audit_kind(audit)
    entries = team.audit_log(db, signed_in.org, kind, forms.parse_before(before))
    older = entries[-1].entry.id if len(entries) == team.LOG_LIMIT else None
    return render(
        request,
        "dashboard/logs.html",
        signed_in,
        settings,
        outcome=chosen,
        outcomes=list(forms.OUTCOMES),
        requests=team.provisioning_log(db, signed_in.org, forms.OUTCOMES[chosen]),
        audit=entries,
        audit_kind=kind,
        audit_kinds=forms.AUDIT_KINDS,
        audit_url=lambda **params: _logs_url(signed_in.org.public_id, **params),
        older=older,
        paged=before is not None,
        action_label=forms.action_label,
    )


def _logs_url(org_id: str, **params: str | int | None) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "all")})
    return f"/orgs/{org_id}/logs" + (f"?{query}" if query else "") + "#audit-h"


__all__ = ["install", "router"]
