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
    db: Session, org: Org, by: Member, member: Member, role: Role, actor: Actor
) -> None:
    """``by`` gives ``member`` a new role; the last owner cannot step down.

    :raises ForbiddenError: ``by`` may not grant or take away ownership, or the
        org would be left without an owner.
    """
    _serialise_owner_changes(db, org, by, member)
    if member.role == role:
        return
    touches_owner = Role.OWNER in (member.role, role)
    if touches_owner and by.role != Role.OWNER:
        raise ForbiddenError(
            "only an owner can make someone an owner or change an owner's role"
        )
    if member.role == Role.OWNER:
        _keep_an_owner(db, org, member)
    old = member.role
    member.role = role
    db.flush()
    record(db, org, actor, "member.role_changed", member, old=old, new=role)


def remove(db: Session, org: Org, by: Member, member: Member, actor: Actor) -> None:
    """``by`` removes ``member`` from the team: deactivated, never deleted.

    :raises ForbiddenError: ``by`` removes themselves, an admin removes an
        owner, or the org would be left without an owner.
    """
    _serialise_owner_changes(db, org, by, member)
    if member.id == by.id:
        raise ForbiddenError(
            "you cannot remove yourself; ask another owner or admin to do it"
        )
    if member.role == Role.OWNER:
        if by.role != Role.OWNER:
            raise ForbiddenError("only an owner can remove an owner")
        _keep_an_owner(db, org, member)
    members.deactivate(db, org, member, actor)


def _serialise_owner_changes(db: Session, org: Org, by: Member, member: Member) -> None:
    """Lock the org, then re-read both members: a concurrent change of owners
    that committed while this request waited is seen before anything is
    counted or checked (two owners demoting each other at once)."""
    queries.lock_org(db, org.id)
    db.refresh(by)
    db.refresh(member)
    if not can_manage(by) or by.state not in OWNER_STATES:
        raise ForbiddenError(
            "only the organisation's owners and admins can do this; ask one of them"
        )


def _keep_an_owner(db: Session, org: Org, leaving: Member) -> None:
    owners = queries.count_owners(db, org.id, OWNER_STATES)
    if owners <= 1 and leaving.state in OWNER_STATES:
        raise ForbiddenError(
            "the organisation must keep at least one owner; make someone else an "
            "owner first"
        )
