"""Reads. Every read of org-owned rows takes the ``org_id`` it is scoped to."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, union_all
from sqlalchemy.orm import Session, lazyload

from rollcall.search import Paging, Search
from rollcall.storage import paging as paging_memory
from rollcall.storage.filters import filter_clause, sort_column
from rollcall.storage.models import (
    AdminLink,
    AuditEntry,
    Member,
    MemberState,
    Org,
    ProvisioningLogEntry,
    ScimToken,
    WebSession,
)


def get_org_by_public_id(db: Session, public_id: str) -> Org | None:
    return db.scalar(select(Org).where(Org.public_id == public_id))


def list_orgs(db: Session) -> Sequence[Org]:
    return db.scalars(select(Org).order_by(Org.id)).all()


def get_member_by_scim_id(
    db: Session, org_id: int, scim_id: str, *, for_update: bool = False
) -> Member | None:
    query = select(Member).where(Member.org_id == org_id, Member.scim_id == scim_id)
    if for_update:
        query = query.with_for_update()
    return db.scalar(query)


def get_member_by_id(db: Session, org_id: int, member_id: int) -> Member | None:
    return db.scalar(
        select(Member).where(Member.org_id == org_id, Member.id == member_id)
    )


def get_member_by_email(
    db: Session, org_id: int, email: str, *, for_update: bool = False
) -> Member | None:
    query = select(Member).where(
        Member.org_id == org_id, Member.email_lower == email.lower()
    )
    if for_update:
        query = query.with_for_update()
    return db.scalar(query)


def search_members(
    db: Session, org_id: int, search: Search, states: Sequence[MemberState]
) -> tuple[int, Sequence[Member]]:
    """The number of matches and one page of them, in a stable order.

    The order is the sort attribute (when one is asked for) and then the row id,
    so pages never overlap, and a member created during an IdP's import walk
    lands on the last page rather than shifting the pages already read.

    What a page costs: a page is found by its ids alone, and only its rows are
    then loaded by primary key. An unfiltered walk in order continues each page
    from where the previous one ended and reuses its count while the org's
    members are unchanged (:mod:`rollcall.storage.paging`), so its last page
    costs what its first does; what follows is the cost without that memory.
    Without a filter or a sort the ids come from the ``(org_id, state, id)``
    index alone (see :func:`_listed_ids`): the first
    pages read a few index entries; the last page of a walk through 100,000
    members reads about ``startIndex`` entries and sorts them, as
    position-based paging must (RFC 7644 §3.4.2.4 gives no cursor to seek
    from), about a third of what an OFFSET over whole rows costs. The count
    reads the org's index entries once, no table rows. With a filter or a sort
    the database reads the matching rows; the lookups IdPs make (``userName``,
    ``externalId``, ``id`` eq) match one row through an index, and are answered
    with one query: a filtered page is read whole, and a page with fewer rows
    than asked for tells the count itself (:func:`_total_from_page`).
    """
    paging = search.paging
    if search.filter is None and search.sort is None:
        return _listed_page(db, org_id, states, paging)

    where = [Member.org_id == org_id, Member.state.in_(list(states))]
    if search.filter is not None:
        where.append(filter_clause(search.filter))
    order: list[ColumnElement[object]] = [Member.id]  # type: ignore[list-item]
    if search.sort is not None:
        column = sort_column(search.sort.attribute)
        order.insert(0, column.desc() if search.sort.descending else column.asc())

    if search.filter is None:
        total = _count(db, where)
        ids = db.scalars(
            select(Member.id)
            .where(*where)
            .order_by(*order)
            .offset(paging.start_index - 1)
            .limit(paging.count)
        ).all()
        return total, _members_in_order(db, org_id, ids, states)

    page = db.scalars(
        select(Member)
        .where(*where)
        .order_by(*order)
        .offset(paging.start_index - 1)
        .limit(paging.count)
    ).all()
    return _total_from_page(db, where, paging, len(page)), page


def _listed_page(
    db: Session, org_id: int, states: Sequence[MemberState], paging: Paging
) -> tuple[int, list[Member]]:
    """A page of the unfiltered list, continuing where the previous page of a
    walk ended when that is known (see :mod:`rollcall.storage.paging`)."""
    sig = paging_memory.signature(db, org_id, states)
    total = paging_memory.remembered_total(org_id, states, sig)
    if total is None:
        total = count_members(db, org_id, states)
        paging_memory.remember_total(org_id, states, sig, total)
    if paging.count <= 0 or paging.start_index > total:
        return total, []

    after = paging_memory.remembered_position(org_id, states, sig, paging.start_index)
    if after is None:
        ids = _listed_ids(db, org_id, states, paging)
    else:
        ids = paging_memory.ids_after(db, org_id, states, after, paging.count)
    if ids:
        next_start = paging.start_index + len(ids)
        paging_memory.remember_position(org_id, states, sig, next_start, ids[-1])
    return total, _members_in_order(db, org_id, ids, states)


def _total_from_page(
    db: Session, where: Sequence[ColumnElement[bool]], paging: Paging, found: int
) -> int:
    """The number of matches, counted only when the page cannot tell it: a page
    that holds rows but fewer than asked for is the last one."""
    if 0 < found < paging.count:
        return paging.start_index - 1 + found
    if found == 0 and paging.start_index == 1 and paging.count > 0:
        return 0
    return _count(db, where)


def _listed_ids(
    db: Session, org_id: int, states: Sequence[MemberState], paging: Paging
) -> Sequence[int]:
    """One page of member ids in id order, read from the index alone.

    Each state is one range of the ``(org_id, state, id)`` index, already in id
    order, so each branch reads at most ``startIndex + count`` entries and only
    those few are sorted together. (``state IN (...)`` makes the databases sort
    every listed member to find the page; neither merges the ranges itself.)
    """
    needed = paging.start_index - 1 + paging.count
    branches = [
        select(Member.id.label("id"))
        .where(Member.org_id == org_id, Member.state == state)
        .order_by(Member.id)
        .limit(needed)
        .subquery()
        for state in states
    ]
    listed = union_all(*(select(branch.c.id) for branch in branches)).subquery()
    return db.scalars(
        select(listed.c.id)
        .order_by(listed.c.id)
        .offset(paging.start_index - 1)
        .limit(paging.count)
    ).all()


def _members_in_order(
    db: Session, org_id: int, ids: Sequence[int], states: Sequence[MemberState]
) -> list[Member]:
    """The members with ``ids``, in that order; one that left ``states`` since
    its id was read is left out rather than listed in a state SCIM hides."""
    if not ids:
        return []
    rows = db.scalars(
        select(Member).where(
            Member.org_id == org_id,
            Member.id.in_(list(ids)),
            Member.state.in_(list(states)),
        )
    ).all()
    by_id = {member.id: member for member in rows}
    return [by_id[i] for i in ids if i in by_id]


def count_members(db: Session, org_id: int, states: Sequence[MemberState]) -> int:
    query = select(func.count()).where(
        Member.org_id == org_id, Member.state.in_(list(states))
    )
    return db.scalar(query) or 0


def lock_org(db: Session, org_id: int) -> None:
    """Hold the org's row until the transaction ends, serialising changes that
    must see each other (who is an owner). SQLite ignores ``FOR UPDATE``; its
    ``BEGIN IMMEDIATE`` already serialises every writer."""
    db.execute(select(Org.id).where(Org.id == org_id).with_for_update())


def count_owners(db: Session, org_id: int, states: Sequence[MemberState]) -> int:
    query = select(func.count()).where(
        Member.org_id == org_id, Member.role == "owner", Member.state.in_(list(states))
    )
    return db.scalar(query) or 0


def get_token_and_org_by_hash(
    db: Session, token_hash: str
) -> tuple[ScimToken, Org] | None:
    """The token with ``token_hash`` and its org, in one query.

    The org's domains and SAML settings are left to load when first used
    (in the same session), which most SCIM requests never do.
    """
    row = db.execute(
        select(ScimToken, Org)
        .join(Org, Org.id == ScimToken.org_id)
        .where(ScimToken.token_hash == token_hash)
        .options(lazyload(Org.domains), lazyload(Org.saml))
    ).first()
    return None if row is None else (row[0], row[1])


def list_tokens(db: Session, org_id: int) -> Sequence[ScimToken]:
    return db.scalars(
        select(ScimToken).where(ScimToken.org_id == org_id).order_by(ScimToken.id)
    ).all()


def get_token(db: Session, org_id: int, public_id: str) -> ScimToken | None:
    return db.scalar(
        select(ScimToken).where(
            ScimToken.org_id == org_id, ScimToken.public_id == public_id
        )
    )


def get_session_by_hash(db: Session, token_hash: str) -> WebSession | None:
    return db.scalar(select(WebSession).where(WebSession.token_hash == token_hash))


def get_admin_link_by_hash(db: Session, token_hash: str) -> AdminLink | None:
    return db.scalar(select(AdminLink).where(AdminLink.token_hash == token_hash))


def get_live_admin_link(
    db: Session, token_hash: str, now: datetime
) -> AdminLink | None:
    """The admin link ``token_hash`` if it is unused and not expired at ``now``."""
    return db.scalar(
        select(AdminLink).where(
            AdminLink.token_hash == token_hash,
            AdminLink.used_at.is_(None),
            AdminLink.expires_at > now,
        )
    )


def list_audit(
    db: Session,
    org_id: int,
    *,
    limit: int = 100,
    before_id: int | None = None,
    actions: Sequence[str] = (),
    exclude: bool = False,
) -> Sequence[AuditEntry]:
    """The org's audit entries older than ``before_id``, newest first; only
    ``actions`` if given (all but them with ``exclude``)."""
    query = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if actions:
        chosen = AuditEntry.action.in_(list(actions))
        query = query.where(~chosen if exclude else chosen)
    return db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)).all()


def list_provisioning_log(
    db: Session,
    org_id: int,
    *,
    limit: int = 100,
    failed_only: bool | None = None,
) -> Sequence[ProvisioningLogEntry]:
    query = select(ProvisioningLogEntry).where(ProvisioningLogEntry.org_id == org_id)
    if failed_only is True:
        query = query.where(ProvisioningLogEntry.status >= 400)
    elif failed_only is False:
        query = query.where(ProvisioningLogEntry.status < 400)
    return db.scalars(query.order_by(ProvisioningLogEntry.id.desc()).limit(limit)).all()


def oldest_kept_log_id(db: Session, org_id: int, keep: int) -> int | None:
    """The id of the ``keep``-th newest log entry of the org, if there are that many."""
    return db.scalar(
        select(ProvisioningLogEntry.id)
        .where(ProvisioningLogEntry.org_id == org_id)
        .order_by(ProvisioningLogEntry.id.desc())
        .offset(keep - 1)
        .limit(1)
    )


def latest_sign_in(db: Session, org_id: int) -> datetime | None:
    return db.scalar(
        select(func.max(Member.last_sign_in_at)).where(Member.org_id == org_id)
    )


def count_members_by_state(db: Session, org_id: int) -> dict[MemberState, int]:
    """How many of the org's members are in each state (one index scan)."""
    rows = db.execute(
        select(Member.state, func.count())
        .where(Member.org_id == org_id)
        .group_by(Member.state)
    ).all()
    return {MemberState(state): count for state, count in rows}


def list_team_members(
    db: Session,
    org_id: int,
    states: Sequence[MemberState],
    text: str | None,
    *,
    offset: int,
    limit: int,
    known_total: int | None = None,
) -> tuple[int, Sequence[Member]]:
    """The count and one page of the org's members in ``states``, by email.

    ``text`` (lower case) matches anywhere in the email, the full name or the
    display name. The page is found on the ``(org_id, state, email_lower)``
    index first and its rows fetched after, so a deep page does not read every
    row before it; the email is unique in an org, so the order is stable. A
    search scans the org's rows once, counting the matches in the same pass.
    """
    where: list[ColumnElement[bool]] = [
        Member.org_id == org_id,
        Member.state.in_(list(states)),
    ]
    if text:
        where.append(_matches_text(db, text))
    keys = select(Member.email_lower).where(*where).order_by(Member.email_lower)
    if text and known_total is None:
        rows = db.execute(
            keys.add_columns(func.count().over()).offset(offset).limit(limit)
        ).all()
        total = rows[0][1] if rows else _count(db, where)
    else:
        rows = db.execute(keys.offset(offset).limit(limit)).all()
        total = _count(db, where) if known_total is None else known_total

    emails = [row[0] for row in rows]
    found = db.scalars(
        select(Member).where(Member.org_id == org_id, Member.email_lower.in_(emails))
    ).all()
    position = {email: n for n, email in enumerate(emails)}
    return total, sorted(found, key=lambda m: position[m.email_lower])


def get_members_by_ids(
    db: Session, org_id: int, member_ids: Sequence[int]
) -> Sequence[Member]:
    if not member_ids:
        return []
    return db.scalars(
        select(Member).where(Member.org_id == org_id, Member.id.in_(member_ids))
    ).all()


def get_members_by_scim_ids(
    db: Session, org_id: int, scim_ids: Sequence[str]
) -> Sequence[Member]:
    if not scim_ids:
        return []
    return db.scalars(
        select(Member).where(Member.org_id == org_id, Member.scim_id.in_(scim_ids))
    ).all()


def _count(db: Session, where: Sequence[ColumnElement[bool]]) -> int:
    return db.scalar(select(func.count()).select_from(Member).where(*where)) or 0


def _matches_text(db: Session, text: str) -> ColumnElement[bool]:
    """``text`` occurs in the email, full name or display name, in any case.

    SQLite's LIKE ignores ASCII case by itself (as its lower() only folds
    ASCII, nothing is lost); PostgreSQL gets lower() and strpos(), which scan
    several times faster than ILIKE.
    """
    columns = (Member.email_lower, Member.formatted_name, Member.display_name)
    if db.get_bind().dialect.name == "sqlite":
        pattern = "%" + _escape_like(text) + "%"
        return or_(*(c.like(pattern, escape="\\") for c in columns))
    return or_(*(func.strpos(func.lower(c), text) > 0 for c in columns))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
