"""Inserts, updates and deletes. Writes flush, so constraint errors surface here
and become :class:`~rollcall.errors.ConflictError`; nothing here commits."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rollcall.errors import ConflictError
from rollcall.storage.db import Base
from rollcall.storage.models import (
    AdminLink,
    AuditEntry,
    Member,
    ProvisioningLogEntry,
    ScimToken,
    WebSession,
)


def add(db: Session, row: Base, *, conflict: str = "it already exists") -> None:
    """Insert ``row``; a uniqueness violation raises ConflictError(``conflict``).

    The insert runs in a savepoint so that a conflict leaves the surrounding
    transaction usable (the caller may still record an audit entry, say).
    """
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError as exc:
        raise ConflictError(conflict) from exc


def flush_member(db: Session, member: Member) -> None:
    """Write pending changes of ``member``; an email clash raises ConflictError."""
    try:
        with db.begin_nested():
            db.flush([member])
    except IntegrityError as exc:
        raise ConflictError(f"a member with email {member.email!r} exists") from exc


def add_audit(
    db: Session,
    *,
    org_id: int,
    actor_kind: str,
    actor: str,
    action: str,
    member_id: int | None,
    detail: dict[str, Any],
) -> None:
    db.add(
        AuditEntry(
            org_id=org_id,
            actor_kind=actor_kind,
            actor=actor,
            action=action,
            member_id=member_id,
            detail=detail,
        )
    )


def add_provisioning_log(db: Session, entry: ProvisioningLogEntry) -> None:
    db.add(entry)


def prune_provisioning_log(db: Session, org_id: int, below_id: int) -> None:
    db.execute(
        delete(ProvisioningLogEntry).where(
            ProvisioningLogEntry.org_id == org_id, ProvisioningLogEntry.id < below_id
        )
    )


def touch_token(db: Session, token: ScimToken, now: datetime) -> None:
    db.execute(
        update(ScimToken).where(ScimToken.id == token.id).values(last_used_at=now)
    )


def delete_member_sessions(db: Session, org_id: int, member_id: int) -> None:
    db.execute(
        delete(WebSession).where(
            WebSession.org_id == org_id, WebSession.member_id == member_id
        )
    )


def delete_session(db: Session, session_id: int) -> None:
    db.execute(delete(WebSession).where(WebSession.id == session_id))


def delete_expired_sessions(db: Session, now: datetime) -> None:
    db.execute(delete(WebSession).where(WebSession.expires_at < now))


def use_admin_link(db: Session, token_hash: str, now: datetime) -> bool:
    """Mark the live, unused admin link ``token_hash`` used; False if there is none.

    One conditional UPDATE, so of two transactions redeeming the same link at
    once only one changes the row: the other waits for its lock and then finds
    ``used_at`` set.
    """
    result = db.execute(
        update(AdminLink)
        .where(
            AdminLink.token_hash == token_hash,
            AdminLink.used_at.is_(None),
            AdminLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
