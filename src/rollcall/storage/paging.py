"""Cheap deep pages for the unfiltered member list an IdP walks to import a team.

SCIM pages by position (``startIndex``), so page 1,000 of an org of 100,000
members means counting the org and stepping over 99,900 index entries, on
every request. An import walks the pages in order, so each page can remember
where it ended: the next request for the following position starts right
after that member (a keyset seek), and the count is remembered too.

A remembered value is used only while the org's listed members are provably
the same set. Members are never deleted and ids only grow, so that set
changes only when a member is added (the org's highest id grows) or leaves or
rejoins the listed states (the count and id sum of the members outside them
change). Both are read per request from the ``(org_id, state, id)`` index in
a few seeks, and the database's URL is part of the key, so a process that
serves several databases (the tests do) never mixes them up. The memory is per
process and bounded; an instance that has not seen the previous page simply
answers it the slow way.
"""

import threading
from collections import OrderedDict
from collections.abc import Sequence

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from rollcall.storage.models import Member, MemberState

Signature = tuple[str, int, int, int]
_LIMIT = 4096


class _Memory:
    """A small thread-safe LRU map."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[object, ...], int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> int | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[object, ...], value: int) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > _LIMIT:
                self._items.popitem(last=False)


_totals = _Memory()
_positions = _Memory()


def signature(db: Session, org_id: int, states: Sequence[MemberState]) -> Signature:
    """What identifies the set of the org's members in ``states``: the database,
    the highest id of the org, and the count and id sum of its members in other
    states."""
    highest = union_all(
        *(
            select(func.coalesce(func.max(Member.id), 0).label("id")).where(
                Member.org_id == org_id, Member.state == state
            )
            for state in MemberState
        )
    ).subquery()
    outside = [s for s in MemberState if s not in states]
    hidden = (
        select(func.count(Member.id), func.coalesce(func.sum(Member.id), 0))
        .where(Member.org_id == org_id, Member.state.in_(outside))
        .subquery()
    )
    row = db.execute(
        select(
            select(func.max(highest.c.id)).scalar_subquery(),
            *hidden.c,
        )
    ).one()
    database = str(db.get_bind().engine.url)
    return database, int(row[0] or 0), int(row[1]), int(row[2])


def _key(
    org_id: int, states: Sequence[MemberState], sig: Signature
) -> tuple[object, ...]:
    return (org_id, tuple(sorted(states)), sig)


def remembered_total(
    org_id: int, states: Sequence[MemberState], sig: Signature
) -> int | None:
    return _totals.get(_key(org_id, states, sig))


def remember_total(
    org_id: int, states: Sequence[MemberState], sig: Signature, total: int
) -> None:
    _totals.put(_key(org_id, states, sig), total)


def remembered_position(
    org_id: int, states: Sequence[MemberState], sig: Signature, start_index: int
) -> int | None:
    """The id of the member just before position ``start_index``, if known."""
    if start_index == 1:
        return 0
    return _positions.get((*_key(org_id, states, sig), start_index))


def remember_position(
    org_id: int,
    states: Sequence[MemberState],
    sig: Signature,
    start_index: int,
    last_id: int,
) -> None:
    """Remember that the member at ``start_index - 1`` has id ``last_id``."""
    _positions.put((*_key(org_id, states, sig), start_index), last_id)


def ids_after(
    db: Session,
    org_id: int,
    states: Sequence[MemberState],
    after_id: int,
    count: int,
) -> Sequence[int]:
    """The next ``count`` ids above ``after_id`` in ``states``: one short range
    of the ``(org_id, state, id)`` index per state."""
    branches = [
        select(Member.id.label("id"))
        .where(Member.org_id == org_id, Member.state == state, Member.id > after_id)
        .order_by(Member.id)
        .limit(count)
        .subquery()
        for state in states
    ]
    listed = union_all(*(select(b.c.id) for b in branches)).subquery()
    return db.scalars(select(listed.c.id).order_by(listed.c.id).limit(count)).all()
