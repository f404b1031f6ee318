"""The Domain Access & SSO page: SSO domains, IdP metadata, SP values, SCIM.

A change that fails on what the admin typed renders the page again (400) with
the message beside the field. A new SCIM token is rendered in the answer to the
POST that made it, once; only its hash is kept.
"""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from sqlalchemy.orm import Session

from rollcall.config import Settings
from rollcall.dashboard import forms
from rollcall.dashboard.access import Manager, ManagerPost, actor, render, see_other
from rollcall.deps import DbSession, SettingsDep
from rollcall.domain import orgs, team
from rollcall.domain.sessions import SignedIn
from rollcall.errors import InvalidInputError
from rollcall.saml.sp import parse_idp_metadata
from rollcall.storage.models import ScimToken

router = APIRouter(prefix="/orgs/{org_id}")
TOKEN_NOTICES = {"revoked"}


@dataclass
class Outcome:
    """What the last action leaves on the page: a notice, errors, a new token."""

    status: int = 200
    notice: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    new_token: tuple[ScimToken, str] | None = None
    scim_open: bool = False


def _sso_url(org_id: str, done: str) -> str:
    anchor = "#scim" if done in TOKEN_NOTICES else ""
    return f"/orgs/{org_id}/sso?done={done}{anchor}"


def _page(
    request: Request,
    settings: Settings,
    db: Session,
    signed_in: SignedIn,
    outcome: Outcome,
) -> Response:
    org = signed_in.org
    base = f"{settings.public_url}/sso/{org.public_id}"
    return render(
        request,
        "dashboard/sso.html",
        signed_in,
        settings,
        status_code=outcome.status,
        outcome=outcome,
        sp_values=[
            ("sp-entity-id", "SP entity ID (audience)", f"{base}/metadata"),
            ("sp-acs", "ACS URL (single sign-on URL)", f"{base}/acs"),
            ("sp-login", "SP-initiated login URL", f"{base}/login"),
        ],
        scim_endpoint=f"{settings.public_url}/scim/v2/{org.public_id}",
        missing=orgs.missing_for_provisioning(org),
        tokens=orgs.list_tokens(db, org),
    )


@router.get("/sso")
def sso_page(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    signed_in: Manager,
    done: str | None = None,
) -> Response:
    """Domain Access & SSO, with the SCIM details behind a button."""
    outcome = Outcome(notice=forms.notice(done), scim_open=done in TOKEN_NOTICES)
    return _page(request, settings, db, signed_in, outcome)


@router.post("/sso/domains")
def add_domain(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    signed_in: ManagerPost,
    domain: Annotated[str, Form()] = "",
) -> Response:
    """Add an email domain whose people may sign in and be provisioned."""
    try:
        orgs.require_subscription(signed_in.org, "change the SSO settings")
        orgs.add_domain(db, signed_in.org, domain, actor(signed_in))
    except InvalidInputError as exc:
        outcome = Outcome(
            status=400, errors={"domain": exc.detail}, values={"domain": domain[:253]}
        )
        return _page(request, settings, db, signed_in, outcome)
    return see_other(_sso_url(signed_in.org.public_id, "domain_added"))


@router.post("/sso/domains/remove")
def remove_domain(
    db: DbSession,
    signed_in: ManagerPost,
    domain: Annotated[str, Form()] = "",
) -> Response:
    """Remove an SSO domain; its people can no longer sign in or be provisioned."""
    orgs.require_subscription(signed_in.org, "change the SSO settings")
    orgs.remove_domain(db, signed_in.org, domain, actor(signed_in))
    return see_other(_sso_url(signed_in.org.public_id, "domain_removed"))


@router.post("/sso/metadata")
def save_metadata(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    signed_in: ManagerPost,
    metadata_xml: Annotated[str, Form()] = "",
    metadata_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Read the IdP's metadata (uploaded or pasted) and store its settings."""
    uploaded = metadata_file.file.read() if metadata_file is not None else None
    try:
        xml = forms.metadata_text(metadata_xml, uploaded)
        idp = parse_idp_metadata(xml)
    except InvalidInputError as exc:
        outcome = Outcome(
            status=400,
            errors={"metadata": exc.detail},
            values={"metadata": metadata_xml[: 64 * 1024]},
        )
        return _page(request, settings, db, signed_in, outcome)
    orgs.configure_sso(db, signed_in.org, idp, actor(signed_in))
    return see_other(_sso_url(signed_in.org.public_id, "metadata"))


@router.post("/sso/idp-initiated")
def set_idp_initiated(
    db: DbSession,
    signed_in: ManagerPost,
    enabled: Annotated[str, Form()] = "",
) -> Response:
    """Accept or refuse sign-in that starts at the IdP (unsolicited responses)."""
    if enabled not in ("on", "off"):
        raise InvalidInputError("choose on or off for IdP-initiated sign-in")
    orgs.require_subscription(signed_in.org, "change the SSO settings")
    orgs.set_idp_initiated(db, signed_in.org, enabled == "on", actor(signed_in))
    return see_other(_sso_url(signed_in.org.public_id, "idp_initiated"))


@router.post("/scim/tokens")
def generate_token(
    request: Request, settings: SettingsDep, db: DbSession, signed_in: ManagerPost
) -> Response:
    """Generate a SCIM token and show it, this once."""
    new_token = orgs.issue_token(db, signed_in.org, actor(signed_in))
    outcome = Outcome(new_token=new_token, scim_open=True)
    return _page(request, settings, db, signed_in, outcome)


@router.post("/scim/tokens/{token_id}/rotate")
def rotate_token(
    request: Request,
    settings: SettingsDep,
    db: DbSession,
    signed_in: ManagerPost,
    token_id: str,
) -> Response:
    """Issue a successor token; the old one works until it is revoked."""
    new_token = team.rotate_token(db, signed_in.org, token_id, actor(signed_in))
    outcome = Outcome(
        new_token=new_token,
        scim_open=True,
        notice=f"Token {token_id} keeps working until you revoke it: put the new "
        "token in your identity provider first, then revoke the old one.",
    )
    return _page(request, settings, db, signed_in, outcome)


@router.post("/scim/tokens/{token_id}/revoke")
def revoke_token(db: DbSession, signed_in: ManagerPost, token_id: str) -> Response:
    """Revoke a SCIM token: requests with it are refused from now on."""
    orgs.revoke_token(db, signed_in.org, token_id, actor(signed_in))
    return see_other(_sso_url(signed_in.org.public_id, "revoked"))
