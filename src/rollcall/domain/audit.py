"""Who changed what: every change to members, roles, SSO and tokens is recorded."""

import logging
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from rollcall.storage import writes
from rollcall.storage.models import Member, Org

log = logging.getLogger(__name__)

ActorKind = Literal["admin", "idp", "sso", "operator", "system"]


@dataclass(frozen=True)
class Actor:
    """The one behind a change: an admin's email, a token's id, ``operator``..."""

    kind: ActorKind
    label: str

    @classmethod
    def operator(cls) -> "Actor":
        return cls("operator", "operator")


def record(
    db: Session,
    org: Org,
    actor: Actor,
    action: str,
    member: Member | None = None,
    **detail: Any,
) -> None:
    """Add an audit entry for ``action`` in ``org``; ``detail`` holds no secret."""
    if member is not None and member.id is None:
        db.flush([member])
    writes.add_audit(
        db,
        org_id=org.id,
        actor_kind=actor.kind,
        actor=actor.label,
        action=action,
        member_id=member.id if member is not None else None,
        detail=detail,
    )
    log.info(
        "audit",
        extra={
            "org": org.public_id,
            "action": action,
            "actor_kind": actor.kind,
            "member": member.scim_id if member is not None else None,
        },
    )
