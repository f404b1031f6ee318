"""Browser sessions and the operator's one-time admin sign-in links.

A session lives in the database, so every instance sees it and it ends the
moment its member may no longer sign in: :func:`resolve_session` checks the
member's state on every request.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rollcall.domain import members, orgs
from rollcall.domain.audit import Actor, record
from rollcall.domain.orgs import hash_secret
from rollcall.errors import ForbiddenError, InvalidInputError
from rollcall.storage import queries, writes
from rollcall.storage.models import (
    AdminLink,
    Member,
    MemberState,
    Org,
    Role,
    WebSession,
    utcnow,
)

LINK_NOT_VALID = (
    "this sign-in link is not valid: it was used already, has expired, or was "
    "never issued; ask support for a new one"
)


@dataclass(frozen=True)
class SignedIn:
    """A live session with the member and org it belongs to."""

    session: WebSession
    member: Member
    org: Org


def start_session(
    db: Session, org: Org, member: Member, *, via: str, hours: int
) -> str:
    """Open a session for ``member``; returns the secret for the cookie."""
    raw = secrets.token_urlsafe(32)
    writes.add(
        db,
        WebSession(
            token_hash=hash_secret(raw),
            org_id=org.id,
            member_id=member.id,
            via=via,
            expires_at=utcnow() + timedelta(hours=hours),
        ),
    )
    return raw


def resolve_session(db: Session, raw: str) -> SignedIn | None:
    """The session behind cookie value ``raw``, if it is live and its member may
    still sign in; otherwise None (and an ended session is removed)."""
    session = queries.get_session_by_hash(db, hash_secret(raw))
    if session is None:
        return None
    member = queries.get_member_by_id(db, session.org_id, session.member_id)
    org = db.get(Org, session.org_id)
    if org is None or member is None or not _may_stay(session, org, member):
        writes.delete_session(db, session.id)
        return None
    return SignedIn(session, member, org)


def _may_stay(session: WebSession, org: Org, member: Member) -> bool:
    """A session lives while unexpired and while its member could sign in the
    same way again: an SSO session also needs the member's email domain to be
    one of the org's SSO domains still. Admin-link sessions skip that check, as
    the link itself does (the operator vouched for the person)."""
    if session.expires_at <= utcnow() or not member.can_sign_in:
        return False
    return session.via == "admin_link" or orgs.email_domain_allowed(org, member.email)


def end_session(db: Session, raw: str) -> None:
    session = queries.get_session_by_hash(db, hash_secret(raw))
    if session is not None:
        writes.delete_session(db, session.id)


def issue_admin_link(
    db: Session, org: Org, email: str, *, minutes: int, actor: Actor
) -> tuple[str, datetime, Member]:
    """A one-time sign-in secret for ``email``, who becomes an owner if new.

    An existing member gets a link whatever their address looks like, so that
    access can be recovered; a new owner needs an address that SCIM and SSO
    would accept too: well-formed and on one of the org's SSO domains.

    :raises InvalidInputError: a new email that is malformed or off the domains.
    :raises ForbiddenError: the member exists but was deactivated or removed.
    """
    email = members.check_text("the email", email.strip())
    member = queries.get_member_by_email(db, org.id, email)
    if member is None:
        member = _first_owner(db, org, _new_owner_email(org, email), actor)
    elif not member.can_sign_in:
        raise ForbiddenError(_cannot_sign_in(email, member))
    raw = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(minutes=minutes)
    writes.add(
        db,
        AdminLink(
            token_hash=hash_secret(raw),
            org_id=org.id,
            member_id=member.id,
            expires_at=expires_at,
        ),
    )
    record(db, org, actor, "admin_link.issued", member, expires_at=str(expires_at))
    return raw, expires_at, member


def check_admin_link(db: Session, raw: str) -> None:
    """Refuse a link that cannot sign in any more, without using it up.

    :raises ForbiddenError: used, expired or unknown.
    """
    if queries.get_live_admin_link(db, hash_secret(raw), utcnow()) is None:
        raise ForbiddenError(LINK_NOT_VALID)


def redeem_admin_link(db: Session, raw: str) -> tuple[Org, Member]:
    """Use a one-time link: it works once, before it expires, for a member who
    may still sign in. Using it is one conditional update, so concurrent
    redemptions of the same link sign in once.

    :raises ForbiddenError: used, expired, unknown, or the member was removed.
    """
    token_hash = hash_secret(raw)
    if not writes.use_admin_link(db, token_hash, utcnow()):
        raise ForbiddenError(LINK_NOT_VALID)
    link = queries.get_admin_link_by_hash(db, token_hash)
    assert link is not None  # the update above just found it
    org = db.get(Org, link.org_id)
    member = queries.get_member_by_id(db, link.org_id, link.member_id)
    if org is None or member is None or not member.can_sign_in:
        raise ForbiddenError("the account behind this link can no longer sign in")
    members.mark_signed_in(db, org, member)
    record(db, org, Actor("operator", "admin link"), "admin_link.used", member)
    return org, member


def _new_owner_email(org: Org, email: str) -> str:
    email = members.check_email(email)
    if not orgs.email_domain_allowed(org, email):
        allowed = ", ".join(org.domain_names) or "none yet"
        raise InvalidInputError(
            f"{email} is not on an SSO domain of this org (allowed: {allowed}); "
            "a new owner must be someone the org's IdP could sign in"
        )
    return email


def _cannot_sign_in(email: str, member: Member) -> str:
    if member.state == MemberState.DEPROVISIONED:
        return (
            f"{email} was deprovisioned (deleted by the org's identity provider); "
            "a SCIM POST of this user from the identity provider (re-provisioning "
            "them there) brings them back"
        )
    return (
        f"{email} was deactivated in this org; the org's identity provider "
        "reactivates them (SCIM active: true), then a link can be issued"
    )


def _first_owner(db: Session, org: Org, email: str, actor: Actor) -> Member:
    member = Member(
        org_id=org.id,
        scim_id=members.new_scim_id(),
        email=email,
        email_lower=email.lower(),
        role=Role.OWNER,
        state=MemberState.PROVISIONED,
    )
    writes.add(db, member, conflict=f"{email} is already a member")
    record(db, org, actor, "member.added_as_owner", member)
    return member
