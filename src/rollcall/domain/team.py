"""What the Manage Team pages read: the team list, its views, the org's logs.

The team list shows members who signed in (``active``); "Not signed in yet"
holds those the IdP provisioned or reactivated, "Deactivated" those whose access
was removed. Every read is one org's rows, paged by the database.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy.orm import Session

from rollcall.domain.audit import Actor, record
from rollcall.domain.orgs import issue_token
from rollcall.domain.provisioning_log import recent as recent_requests
from rollcall.domain.sso import REFUSAL_ACTIONS
from rollcall.errors import InvalidInputError, NotFoundError
from rollcall.storage import queries
from rollcall.storage.models import (
    AuditEntry,
    Member,
    MemberState,
    Org,
    ProvisioningLogEntry,
    ScimToken,
)

View = Literal["team", "pending", "deactivated"]
AuditKind = Literal["all", "changes", "refusals"]
VIEW_STATES: Final[dict[View, tuple[MemberState, ...]]] = {
    "team": (MemberState.ACTIVE,),
    "pending": (MemberState.PROVISIONED, MemberState.REACTIVATED),
    "deactivated": (MemberState.DEACTIVATED,),
}
PAGE_SIZE: Final = 50
MAX_SEARCH_LENGTH: Final = 200
LOG_LIMIT: Final = 100


@dataclass(frozen=True)
class TeamPage:
    """One page of one view of the team, with what paging links and tabs need."""

    view: View
    text: str
    members: Sequence[Member]
    total: int
    page: int
    pages: int
    counts: dict[View, int]


@dataclass(frozen=True)
class LogLine:
    """A provisioning-log or audit entry with the member it concerns, if known."""

    entry: ProvisioningLogEntry | AuditEntry
    member: Member | None


def list_team(db: Session, org: Org, view: View, text: str, page: int) -> TeamPage:
    """Page ``page`` (1-based, clamped to the last) of ``view``, matching ``text``.

    :raises InvalidInputError: the search text is too long.
    """
    text = " ".join(text.split())
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidInputError(
            f"the search is longer than {MAX_SEARCH_LENGTH} characters"
        )
    counts = _count_views(db, org)
    if not text:
        page = min(page, _pages(counts[view]))
    total, rows = _page(db, org, view, text, page, None if text else counts[view])
    pages = _pages(total)
    if page > pages:
        page = pages
        total, rows = _page(db, org, view, text, page, total)
    return TeamPage(view, text, rows, total, page, pages, counts)


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _count_views(db: Session, org: Org) -> dict[View, int]:
    by_state = queries.count_members_by_state(db, org.id)
    return {
        view: sum(by_state.get(state, 0) for state in states)
        for view, states in VIEW_STATES.items()
    }


def rotate_token(
    db: Session, org: Org, token_id: str, actor: Actor
) -> tuple[ScimToken, str]:
    """Issue a successor to ``token_id``; the old one works until it is revoked,
    so the admin can update the IdP before cutting it off.

    :raises NotFoundError: no such token in this org.
    :raises InvalidInputError: the token was revoked already.
    """
    old = queries.get_token(db, org.id, token_id)
    if old is None:
        raise NotFoundError(f"no SCIM token {token_id!r} in this org")
    if old.revoked_at is not None:
        raise InvalidInputError(
            f"token {token_id} is revoked already; generate a new token instead"
        )
    token, raw = issue_token(db, org, actor)
    record(db, org, actor, "token.rotated", old=old.public_id, new=token.public_id)
    return token, raw


def provisioning_log(db: Session, org: Org, failed_only: bool | None) -> list[LogLine]:
    """The org's latest SCIM requests, newest first, with their members."""
    entries = recent_requests(db, org, limit=LOG_LIMIT, failed_only=failed_only)
    scim_ids = sorted({e.member_scim_id for e in entries if e.member_scim_id})
    found = {
        m.scim_id: m for m in queries.get_members_by_scim_ids(db, org.id, scim_ids)
    }
    return [
        LogLine(e, found.get(e.member_scim_id) if e.member_scim_id else None)
        for e in entries
    ]


def audit_log(
    db: Session, org: Org, kind: AuditKind = "all", before: int | None = None
) -> list[LogLine]:
    """The org's audit entries older than entry ``before`` (the newest if
    None), newest first, with their members: all of them, the changes only,
    or the refused sign-ins only."""
    entries = queries.list_audit(
        db,
        org.id,
        limit=LOG_LIMIT,
        before_id=before,
        actions=() if kind == "all" else REFUSAL_ACTIONS,
        exclude=kind == "changes",
    )
    ids = sorted({e.member_id for e in entries if e.member_id is not None})
    found = {m.id: m for m in queries.get_members_by_ids(db, org.id, ids)}
    return [
        LogLine(e, found.get(e.member_id) if e.member_id is not None else None)
        for e in entries
    ]


def _page(
    db: Session, org: Org, view: View, text: str, page: int, known_total: int | None
) -> tuple[int, Sequence[Member]]:
    return queries.list_team_members(
        db,
        org.id,
        VIEW_STATES[view],
        text.lower() or None,
        offset=(max(page, 1) - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        known_total=known_total,
    )
