"""Roles: owners and admins manage the team; an org always keeps an owner."""

from sqlalchemy.orm import Session

from rollcall.domain import members
from rollcall.domain.audit import Actor, record
from rollcall.errors import ForbiddenError, InvalidInputError
from rollcall.storage import queries
from rollcall.storage.models import Member, MemberState, Org, Role

MANAGING_ROLES = (Role.OWNER, Role.ADMIN)
OWNER_STATES = (MemberState.ACTIVE, MemberState.PROVISIONED, MemberState.REACTIVATED)


def can_manage(member: Member) -> bool:
    return member.role in MANAGING_ROLES


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInputError(
            f"{value!r} is not a role; use one of {allowed}"
        ) from None


def change_role(
    db: Session, org: Org, member: Member, role: Role, actor: Actor
) -> None:
    """Give ``member`` a new role; the last owner cannot step down."""
    if member.role == role:
        return
    if member.role == Role.OWNER:
        _keep_an_owner(db, org, member)
    old = member.role
    member.role = role
    db.flush()
    record(db, org, actor, "member.role_changed", member, old=old, new=role)


def remove(db: Session, org: Org, member: Member, actor: Actor) -> None:
    """Remove ``member`` from the team: they are deactivated, never deleted."""
    if member.role == Role.OWNER:
        _keep_an_owner(db, org, member)
    members.deactivate(db, org, member, actor)


def _keep_an_owner(db: Session, org: Org, leaving: Member) -> None:
    owners = queries.count_owners(db, org.id, OWNER_STATES)
    if owners <= 1 and leaving.state in OWNER_STATES:
        raise ForbiddenError(
            "the organisation must keep at least one owner; make someone else an "
            "owner first"
        )
