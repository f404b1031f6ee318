"""The demo org of ``rollcall demo``: Demo Company, signing in through the
development IdP, with provisioning on and a fresh SCIM token.

Running the demo again reuses the org (found by its name) and adds only what is
missing; it points SSO at the development IdP again and issues a new token and
admin link each time. The tokens earlier demo runs issued are revoked then, so a
token printed on some old terminal stops working; tokens an operator issued with
``rollcall scim-token create`` stay live.
"""

import json

from sqlalchemy.orm import Session

from rollcall.cli_output import scim_endpoint
from rollcall.config import Settings
from rollcall.domain import orgs, sessions
from rollcall.domain.audit import Actor
from rollcall.errors import ForbiddenError
from rollcall.saml import devidp
from rollcall.storage.models import Org

ORG_NAME = "Demo Company"
DOMAIN = "example.com"
ADMIN_EMAIL = "admin@example.com"
OPERATOR = Actor.operator()
# Issues the demo's tokens, so that the next run can tell them from others.
DEMO = Actor("operator", "rollcall demo")


def prepare_demo(db: Session, settings: Settings) -> list[str]:
    """Create or refresh the demo org; the lines to print about it."""
    org = next((o for o in orgs.list_orgs(db) if o.name == ORG_NAME), None)
    if org is None:
        org = orgs.create_org(db, ORG_NAME, [DOMAIN], OPERATOR)
    orgs.add_domain(db, org, DOMAIN, OPERATOR)
    if not org.subscription_active:
        orgs.set_subscription(db, org, True, OPERATOR)
    orgs.configure_sso(db, org, devidp.idp_settings(settings), OPERATOR)
    if not org.provisioning_enabled:
        orgs.set_provisioning(db, org, True, OPERATOR)
    revoked = _revoke_earlier_demo_tokens(db, org)
    _token, raw = orgs.issue_token(db, org, DEMO)
    lines = _text(settings, org, raw, _admin_link(db, settings, org))
    return _with_revoked_note(lines, revoked)


def _revoke_earlier_demo_tokens(db: Session, org: Org) -> int:
    earlier = [
        token
        for token in orgs.list_tokens(db, org)
        if token.created_by == DEMO.label and token.revoked_at is None
    ]
    for token in earlier:
        orgs.revoke_token(db, org, token.public_id, DEMO)
    return len(earlier)


def _with_revoked_note(lines: list[str], revoked: int) -> list[str]:
    if not revoked:
        return lines
    which = "s that earlier demo runs" if revoked > 1 else " that an earlier demo run"
    note = f"{'':17}(revoked {revoked} SCIM token{which} issued)"
    at = next(i for i, line in enumerate(lines) if line.startswith("SCIM token")) + 2
    return [*lines[:at], note, *lines[at:]]


def _admin_link(db: Session, settings: Settings, org: Org) -> str:
    try:
        raw, _expires_at, _member = sessions.issue_admin_link(
            db, org, ADMIN_EMAIL, minutes=settings.admin_link_minutes, actor=OPERATOR
        )
    except ForbiddenError as exc:
        return f"(none: {exc.detail})"
    minutes = settings.admin_link_minutes
    return (
        f"{settings.public_url}/admin-link/{raw}\n"
        f"{'':17}(one-time, for {ADMIN_EMAIL}, owner; valid {minutes} minutes)"
    )


def _text(settings: Settings, org: Org, token: str, admin_link: str) -> list[str]:
    base = settings.public_url
    endpoint = scim_endpoint(settings, org)
    user = json.dumps(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "grace@example.com",
            "name": {"givenName": "Grace", "familyName": "Hopper"},
            "emails": [{"value": "grace@example.com", "primary": True}],
        }
    )
    auth = f"-H 'Authorization: Bearer {token}'"
    return [
        "",
        "!! DEVELOPMENT IdP ENABLED: it signs in ANY email you type. For this demo",
        "!! only; `rollcall serve` never enables it.",
        "",
        f"Org              {org.name} (id {org.public_id}), SSO domain {DOMAIN}",
        f"Dashboard        {base}/orgs/{org.public_id}/team",
        f"Admin sign-in    {admin_link}",
        f"SSO sign-in      {base}/sso/{org.public_id}/login",
        f"{'':17}(the development IdP: type any @{DOMAIN} address)",
        f"SCIM endpoint    {endpoint}",
        f"SCIM token       {token}",
        f"{'':17}(shown once; every demo run issues a new one)",
        "",
        "Try SCIM:",
        f"  curl -s {auth} '{endpoint}/Users'",
        f"  curl -s -X POST {auth} -H 'Content-Type: application/scim+json' \\",
        f"       -d '{user}' '{endpoint}/Users'",
        "",
        f"Serving on {base} (Ctrl+C stops it).",
    ]
