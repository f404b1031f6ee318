"""Form and query parsing for the Manage Team pages, and the words they show.

Parsing never raises for what a person might type or a link might carry: a bad
page number or view falls back to a sane default. Values a change depends on
(a role, a domain, metadata) raise InvalidInputError with a message meant to be
shown beside the field.
"""

import re
from datetime import datetime
from typing import Final

from rollcall.domain.team import AuditKind, View
from rollcall.errors import InvalidInputError

MAX_METADATA_BYTES: Final = 1024 * 1024
ORG_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Shown after a change, keyed by the ``done`` code of the redirect.
NOTICES: Final = {
    "role": "The role was changed.",
    "removed": "The member was removed from the team. They can no longer sign in.",
    "domain_added": "The domain was added.",
    "domain_removed": "The domain was removed.",
    "metadata": "The identity provider's metadata was saved.",
    "idp_initiated": "IdP-initiated sign-in was switched.",
    "revoked": "The token was revoked. Requests using it are now refused.",
}

OUTCOMES: Final[dict[str, bool | None]] = {
    "all": None,
    "failed": True,
    "succeeded": False,
}

ACTION_LABELS: Final = {
    "member.provisioned": "Provisioned by the IdP",
    "member.updated": "Updated by the IdP",
    "member.deprovisioned": "Deleted by the IdP",
    "member.restored": "Restored by the IdP",
    "member.joined": "Joined by single sign-on",
    "member.deactivated": "Removed from the team",
    "member.role_changed": "Role changed",
    "member.added_as_owner": "Added as owner",
    "admin_link.issued": "Sign-in link issued",
    "admin_link.used": "Sign-in link used",
    "org.created": "Organisation created",
    "org.domain_added": "SSO domain added",
    "org.domain_removed": "SSO domain removed",
    "org.subscription": "Subscription changed",
    "org.provisioning": "Provisioning switched",
    "sso.configured": "IdP metadata saved",
    "sso.idp_initiated": "IdP-initiated sign-in switched",
    "token.created": "SCIM token generated",
    "token.rotated": "SCIM token rotated",
    "token.revoked": "SCIM token revoked",
    "sso.refused": "Sign-in refused",
    "sso.refusals_capped": "Sign-in refusals no longer audited this minute",
}
AUDIT_KINDS: Final[dict[AuditKind, str]] = {
    "all": "All",
    "changes": "Changes",
    "refusals": "Sign-in refusals",
}


def parse_view(value: str | None) -> View:
    if value == "pending":
        return "pending"
    if value == "deactivated":
        return "deactivated"
    return "team"


def parse_page(value: str | None) -> int:
    """A 1-based page number; anything that is not a positive number is 1."""
    if value is None or not value.strip().isdigit():
        return 1
    return max(1, min(int(value.strip()), 10**9))


def parse_outcome(value: str | None) -> str:
    return value if value in OUTCOMES else "all"


def parse_audit_kind(value: str | None) -> AuditKind:
    if value == "changes":
        return "changes"
    if value == "refusals":
        return "refusals"
    return "all"


def parse_before(value: str | None) -> int | None:
    """The audit entry id to list entries before; None (the newest) if not a
    positive number."""
    if value is None or not value.strip().isdigit():
        return None
    return min(int(value.strip()), 2**62) or None


def notice(code: str | None) -> str | None:
    return NOTICES.get(code or "")


def parse_org_id(value: str | None) -> str:
    """The org id typed on the sign-in page.

    :raises InvalidInputError: empty, or not shaped like an org id.
    """
    value = (value or "").strip()
    if not ORG_ID_PATTERN.match(value):
        raise InvalidInputError(
            "enter your organisation's id: the letters and digits your administrator "
            "gave you, for example 3f9c0a1b2d4e5f60"
        )
    return value


def metadata_text(pasted: str | None, uploaded: bytes | None) -> str:
    """The IdP metadata XML from the upload, else from the text area.

    :raises InvalidInputError: neither was given, too large, or not UTF-8 text.
    """
    if uploaded:
        if len(uploaded) > MAX_METADATA_BYTES:
            raise InvalidInputError(
                f"the metadata file is larger than {MAX_METADATA_BYTES // 1024} KiB"
            )
        try:
            return uploaded.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError(
                "the metadata file is not UTF-8 text (UTF-16 or another encoding?); "
                "save it as UTF-8, or upload the XML file your identity provider "
                "offers for download"
            ) from None
    text = (pasted or "").strip()
    if not text:
        raise InvalidInputError(
            "paste the identity provider's metadata XML, or choose its file"
        )
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise InvalidInputError(
            f"the metadata is larger than {MAX_METADATA_BYTES // 1024} KiB"
        )
    return text


def when(moment: datetime | None) -> str:
    """A timestamp as people read it in an admin page: UTC, to the minute."""
    if moment is None:
        return "never"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
