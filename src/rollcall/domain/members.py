"""Member states and the rules that move members between them.

The states and their meaning are in DESIGN.md ("Member states"). SCIM and SAML
both land here: :func:`provision`, :func:`update`, :func:`deprovision` for the
IdP's provisioning, :func:`sign_in` for single sign-on.
"""

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from rollcall.domain.audit import Actor, record
from rollcall.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    MutabilityError,
    NotFoundError,
)
from rollcall.search import Search
from rollcall.storage import queries, writes
from rollcall.storage.models import Member, MemberState, Org, Role, utcnow

log = logging.getLogger(__name__)

# ASCII only: an RFC 5322 dot-atom local part and a domain of LDH labels. Quoted
# local parts, comments, Unicode (look-alikes, the Kelvin sign whose lower case is
# "k", invisible characters) are refused; docs/decisions.md says why.
EMAIL_PATTERN = re.compile(
    r"(?=[^@]{1,64}@)(?=.{3,254}\Z)"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])\Z"
)
EMAIL_RULE = (
    "an ASCII address: letters, digits and !#$%&'*+/=?^_`{|}~- with single dots "
    "between them before the @, a domain name such as example.com after it"
)
# C0 and C1 control characters (NUL, tab, escape...) and lone surrogates: no
# database stores NUL and no driver encodes a lone surrogate; the others only
# disguise a value on a page or in a terminal.
UNSTORABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_NAME_LENGTH = 256
LISTED_STATES: Final = (
    MemberState.PROVISIONED,
    MemberState.ACTIVE,
    MemberState.DEACTIVATED,
    MemberState.REACTIVATED,
)
SIGNED_IN_STATES: Final = (MemberState.ACTIVE,)


class Unset:
    """Marks an attribute the request did not mention: keep its value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()


@dataclass(frozen=True)
class MemberInput:
    """The writable attributes of a member as an IdP sent them.

    ``UNSET`` keeps the stored value; ``None`` clears it (for the primary
    ``email``, ``None`` also means "no change": it cannot be deleted).
    """

    user_name: str | Unset = UNSET
    email: str | Unset | None = UNSET
    given_name: str | Unset | None = UNSET
    family_name: str | Unset | None = UNSET
    formatted_name: str | Unset | None = UNSET
    display_name: str | Unset | None = UNSET
    external_id: str | Unset | None = UNSET
    active: bool | Unset = UNSET


class SignInRefusedError(ForbiddenError):
    """Single sign-on is refused; ``reason`` is a short code for logs and metrics."""

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail)
        self.reason = reason


NAME_FIELDS: Final = (
    "given_name",
    "family_name",
    "formatted_name",
    "display_name",
    "external_id",
)
# How errors name each field: the names an IdP's admin sees in its SCIM mapping.
FIELD_LABELS: Final = {
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "formatted_name": "name.formatted",
    "display_name": "displayName",
    "external_id": "externalId",
}


def check_text(label: str, value: str) -> str:
    """``value`` if it can be stored and shown as it is.

    :raises InvalidInputError: it holds a control character or a lone surrogate.
    """
    if UNSTORABLE.search(value):
        raise InvalidInputError(
            f"{label} contains a control character or an unpaired surrogate "
            "(such as NUL, a tab or an escape), which Rollcall does not store"
        )
    return value


def check_email(email: str, label: str = "email") -> str:
    """``email`` without surrounding spaces, if Rollcall accepts it as an address.

    :raises InvalidInputError: it is not :data:`EMAIL_RULE`-shaped.
    """
    value = email.strip()
    if not EMAIL_PATTERN.match(value):
        raise InvalidInputError(
            f"{label} {_show(value)} is not an email address Rollcall accepts; it "
            f"must be {EMAIL_RULE}"
        )
    return value


def _show(value: str) -> str:
    # repr escapes control characters and surrogates, so the detail stays
    # printable and encodable.
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def new_scim_id() -> str:
    return str(uuid.uuid4())


def get_member(
    db: Session, org: Org, scim_id: str, *, for_update: bool = False
) -> Member:
    """The member with SCIM id ``scim_id``; deprovisioned members are not found.

    ``for_update`` locks the row until the transaction ends, so that a version
    checked before a change (``If-Match``) is still the current one when it is
    made.
    """
    member = queries.get_member_by_scim_id(db, org.id, scim_id, for_update=for_update)
    if member is None or member.state == MemberState.DEPROVISIONED:
        raise NotFoundError(f"no user with id {scim_id!r} in this org")
    return member


def search(db: Session, org: Org, query: Search) -> tuple[int, Sequence[Member]]:
    """Total count and one page of the org's members visible to SCIM."""
    return queries.search_members(db, org.id, query, LISTED_STATES)


def provision(db: Session, org: Org, data: MemberInput, actor: Actor) -> Member:
    """Create a member from a SCIM POST, or restore a deprovisioned one.

    :raises InvalidInputError: userName missing, not the email, or off-domain.
    :raises ConflictError: another member of the org has this email.
    """
    email = _primary_email(org, data)
    existing = queries.get_member_by_email(db, org.id, email, for_update=True)
    if existing is not None and existing.state != MemberState.DEPROVISIONED:
        raise ConflictError(
            f"a member with userName {email!r} already exists in this org; to link "
            "it, look it up with a filter instead of creating it"
        )
    if existing is not None:
        return _restore(db, org, existing, data, actor)

    member = Member(
        org_id=org.id,
        scim_id=new_scim_id(),
        email=email,
        email_lower=email.lower(),
        role=Role.MEMBER,
        state=MemberState.PROVISIONED,
        scim_managed=True,
    )
    _apply_names(member, data)
    if data.active is False:
        member.state = MemberState.DEACTIVATED
    writes.add(db, member, conflict=f"a member with userName {email!r} already exists")
    record(db, org, actor, "member.provisioned", member, state=member.state)
    return member


def update(
    db: Session, org: Org, member: Member, data: MemberInput, actor: Actor
) -> Member:
    """Apply a SCIM PUT or PATCH: names, externalId, active; email never changes.

    :raises MutabilityError: the request changes the email or userName.
    """
    _check_identity_unchanged(member, data)
    before = _snapshot(member)
    _apply_names(member, data)
    if not isinstance(data.active, Unset):
        _set_active(db, org, member, data.active)
    member.scim_managed = True
    changed = _snapshot(member) != before
    if changed:
        _touch(member)
        writes.flush_member(db, member)
        record(db, org, actor, "member.updated", member, changed=_diff(before, member))
    return member


def deprovision(db: Session, org: Org, member: Member, actor: Actor) -> None:
    """SCIM DELETE: the member can no longer sign in and vanishes from SCIM."""
    member.state = MemberState.DEPROVISIONED
    _touch(member)
    writes.delete_member_sessions(db, org.id, member.id)
    writes.flush_member(db, member)
    record(db, org, actor, "member.deprovisioned", member)


def sign_in(
    db: Session,
    org: Org,
    email: str,
    given_name: str | None,
    family_name: str | None,
    actor: Actor,
) -> Member:
    """Let ``email`` in through SSO, creating the member on first sign-in (JIT).

    :raises SignInRefusedError: off-domain email, or access removed by the org.
    """
    try:
        email = check_email(email)
    except InvalidInputError as exc:
        raise SignInRefusedError(exc.detail, "bad_email") from None
    if not _domain_allowed(org, email):
        raise SignInRefusedError(
            f"{email} is not on a domain this organisation signs in with", "domain"
        )
    member = queries.get_member_by_email(db, org.id, email, for_update=True)
    if member is None:
        member = _create_on_sign_in(db, org, email, given_name, family_name, actor)
    elif not member.can_sign_in:
        raise SignInRefusedError(
            "your access to this organisation was removed by its administrator",
            str(member.state),
        )
    return mark_signed_in(db, org, member, given_name, family_name)


def mark_signed_in(
    db: Session,
    org: Org,
    member: Member,
    given_name: str | None = None,
    family_name: str | None = None,
) -> Member:
    """Record a successful sign-in: the member becomes ``active``."""
    if not member.scim_managed:
        member.given_name = _sign_in_name(given_name) or member.given_name
        member.family_name = _sign_in_name(family_name) or member.family_name
    if member.state != MemberState.ACTIVE:
        member.state = MemberState.ACTIVE
        _touch(member)
    member.last_sign_in_at = utcnow()
    writes.flush_member(db, member)
    return member


def deactivate(db: Session, org: Org, member: Member, actor: Actor) -> None:
    """An admin removes a member from the team (the same as SCIM active=false)."""
    if member.state in (MemberState.DEACTIVATED, MemberState.DEPROVISIONED):
        return
    _set_active(db, org, member, False)
    _touch(member)
    writes.flush_member(db, member)
    record(db, org, actor, "member.deactivated", member)


def _create_on_sign_in(
    db: Session,
    org: Org,
    email: str,
    given_name: str | None,
    family_name: str | None,
    actor: Actor,
) -> Member:
    member = Member(
        org_id=org.id,
        scim_id=new_scim_id(),
        email=email,
        email_lower=email.lower(),
        given_name=_sign_in_name(given_name),
        family_name=_sign_in_name(family_name),
        role=Role.MEMBER,
        state=MemberState.ACTIVE,
    )
    member.formatted_name = _formatted(member)
    try:
        writes.add(db, member)
    except ConflictError:
        # A concurrent sign-in or provisioning created the member first.
        existing = queries.get_member_by_email(db, org.id, email)
        if existing is None or not existing.can_sign_in:
            raise SignInRefusedError(
                "your access to this organisation was removed by its administrator",
                "deactivated",
            ) from None
        return existing
    record(db, org, actor, "member.joined", member)
    return member


def _restore(
    db: Session, org: Org, member: Member, data: MemberInput, actor: Actor
) -> Member:
    member.state = (
        MemberState.DEACTIVATED if data.active is False else MemberState.PROVISIONED
    )
    member.scim_managed = True
    _apply_names(member, data)
    _touch(member)
    writes.flush_member(db, member)
    record(db, org, actor, "member.restored", member, state=member.state)
    return member


def _primary_email(org: Org, data: MemberInput) -> str:
    if not isinstance(data.user_name, str) or not data.user_name.strip():
        raise InvalidInputError("userName is required and must be the user's email")
    user_name = check_email(check_text("userName", data.user_name), "userName")
    if isinstance(data.email, str) and data.email.strip().lower() != user_name.lower():
        raise InvalidInputError(
            f"userName {user_name!r} must equal the primary email "
            f"{_show(data.email.strip())}"
        )
    if not _domain_allowed(org, user_name):
        allowed = ", ".join(org.domain_names) or "none yet"
        raise InvalidInputError(
            f"the email domain of {user_name!r} is not an SSO domain of this org "
            f"(allowed: {allowed})"
        )
    return user_name


def _domain_allowed(org: Org, email: str) -> bool:
    return email.rpartition("@")[2].lower() in org.domain_names


def _check_identity_unchanged(member: Member, data: MemberInput) -> None:
    for label, value in (("userName", data.user_name), ("email", data.email)):
        if isinstance(value, str) and value.strip().lower() != member.email_lower:
            raise MutabilityError(
                f"{label} cannot change: it is the member's identity "
                f"({member.email!r}); got {_show(value.strip())}"
            )


def _apply_names(member: Member, data: MemberInput) -> None:
    for name in NAME_FIELDS:
        value = getattr(data, name)
        if isinstance(value, Unset):
            continue
        if value is not None and not isinstance(value, str):
            raise InvalidInputError(f"{FIELD_LABELS[name]} must be a string")
        if value is not None and len(value) > MAX_NAME_LENGTH:
            raise InvalidInputError(
                f"{FIELD_LABELS[name]} is longer than {MAX_NAME_LENGTH} characters"
            )
        if value is not None:
            check_text(FIELD_LABELS[name], value)
        setattr(member, name, _clean(value))
    if isinstance(data.formatted_name, Unset) or data.formatted_name is None:
        member.formatted_name = _formatted(member)


def _formatted(member: Member) -> str | None:
    parts = [p for p in (member.given_name, member.family_name) if p]
    return _clean(" ".join(parts)[:MAX_NAME_LENGTH])


def _set_active(db: Session, org: Org, member: Member, active: bool) -> None:
    if not active and member.state != MemberState.DEACTIVATED:
        member.state = MemberState.DEACTIVATED
        writes.delete_member_sessions(db, org.id, member.id)
    elif active and member.state == MemberState.DEACTIVATED:
        member.state = MemberState.REACTIVATED


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _sign_in_name(value: str | None) -> str | None:
    """A name from an assertion, or None if it cannot be stored, cut to
    :data:`MAX_NAME_LENGTH`: a sign-in is not refused for a name the person
    cannot change themselves (docs/decisions.md)."""
    if value is None or UNSTORABLE.search(value):
        return None
    cleaned = _clean(value)
    return _clean(cleaned[:MAX_NAME_LENGTH]) if cleaned else None


def _touch(member: Member) -> None:
    member.version = (member.version or 1) + 1
    member.updated_at = utcnow()


Snapshot = tuple[object, ...]


def _snapshot(member: Member) -> Snapshot:
    return (*(getattr(member, n) for n in NAME_FIELDS), member.state)


def _diff(before: Snapshot, member: Member) -> list[str]:
    names = [*NAME_FIELDS, "state"]
    return [
        n
        for n, old, new in zip(names, before, _snapshot(member), strict=True)
        if old != new
    ]
