"""What the operator command line prints: JSON objects and short text tables.

The JSON names are an interface that scripts rely on (``docs/cli.md``): names may be
added, never renamed or removed. Timestamps are ISO 8601 in UTC, to the second.
"""

import hashlib
from base64 import b64decode
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rollcall.config import Settings
from rollcall.storage.models import Org, ScimToken


def iso(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() if moment is not None else None


def pairs(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def scim_endpoint(settings: Settings, org: Org) -> str:
    return f"{settings.public_url}/scim/v2/{org.public_id}"


def org_json(org: Org) -> dict[str, Any]:
    return {
        "id": org.public_id,
        "name": org.name,
        "domains": org.domain_names,
        "subscription_active": org.subscription_active,
        "sso_configured": org.saml is not None,
        "idp_entity_id": org.saml.idp_entity_id if org.saml is not None else None,
        "provisioning_enabled": org.provisioning_enabled,
        "created_at": iso(org.created_at),
    }


def org_text(data: dict[str, Any]) -> str:
    sso = f"configured ({data['idp_entity_id']})" if data["sso_configured"] else "no"
    return pairs(
        [
            ("id", data["id"]),
            ("name", data["name"]),
            ("domains", ", ".join(data["domains"]) or "(none)"),
            ("subscription", "active" if data["subscription_active"] else "inactive"),
            ("sso", sso),
            ("provisioning", "on" if data["provisioning_enabled"] else "off"),
            ("created", data["created_at"]),
        ]
    )


def orgs_text(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no orgs yet; create one with `rollcall org create`"
    rows = [
        [
            o["id"],
            o["name"],
            "active" if o["subscription_active"] else "inactive",
            "yes" if o["sso_configured"] else "no",
            "on" if o["provisioning_enabled"] else "off",
            ", ".join(o["domains"]),
        ]
        for o in items
    ]
    header = ["ID", "NAME", "SUBSCRIPTION", "SSO", "PROVISIONING", "DOMAINS"]
    return table(header, rows)


def fingerprint(certificate: str) -> str:
    digest = hashlib.sha256(b64decode(certificate)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def sso_json(org: Org) -> dict[str, Any]:
    saml = org.saml
    assert saml is not None
    return {
        "org": org.public_id,
        "entity_id": saml.idp_entity_id,
        "sso_url": saml.sso_url,
        "sso_binding": saml.sso_binding,
        "certificates": [{"sha256": fingerprint(c)} for c in saml.certificates],
    }


def sso_text(data: dict[str, Any]) -> str:
    rows = [
        ("org", data["org"]),
        ("idp entity id", data["entity_id"]),
        ("sso url", data["sso_url"]),
        ("sso binding", data["sso_binding"]),
    ]
    rows += [("certificate", f"SHA-256 {c['sha256']}") for c in data["certificates"]]
    return pairs(rows)


def token_json(token: ScimToken) -> dict[str, Any]:
    return {
        "id": token.public_id,
        "hint": token.hint,
        "created_at": iso(token.created_at),
        "created_by": token.created_by,
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
    }


def tokens_text(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no SCIM tokens; create one with `rollcall scim-token create ORG`"
    rows = [
        [
            t["id"],
            "..." + t["hint"],
            t["created_at"],
            t["last_used_at"] or "never",
            "revoked " + t["revoked_at"] if t["revoked_at"] else "live",
        ]
        for t in items
    ]
    return table(["ID", "ENDS WITH", "CREATED", "LAST USED", "STATUS"], rows)
