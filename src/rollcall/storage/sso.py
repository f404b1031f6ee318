"""Reads and writes of single sign-on's own rows: the AuthnRequests awaiting an
answer and the assertion ids already used (the replay cache). Every statement
is scoped by ``org_id``."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollcall.storage import writes
from rollcall.storage.models import RateCounter, SamlRequest, SeenAssertion


def add_request(
    db: Session,
    org_id: int,
    request_id: str,
    relay_state: str | None,
    expires_at: datetime,
) -> None:
    row = SamlRequest(
        request_id=request_id,
        org_id=org_id,
        relay_state=relay_state,
        expires_at=expires_at,
    )
    writes.add(db, row, conflict=f"AuthnRequest {request_id!r} exists")


def take_request(
    db: Session, org_id: int, request_id: str, now: datetime
) -> tuple[bool, str | None]:
    """Delete the org's live request ``request_id``; say whether there was one,
    and its relay state. Deleting first makes it usable once, even when two
    answers race: only one delete finds the row."""
    row = db.execute(
        delete(SamlRequest)
        .where(
            SamlRequest.org_id == org_id,
            SamlRequest.request_id == request_id,
            SamlRequest.expires_at > now,
        )
        .returning(SamlRequest.relay_state)
    ).first()
    return (row is not None, row.relay_state if row is not None else None)


def add_seen_assertion(
    db: Session, org_id: int, assertion_id: str, expires_at: datetime
) -> None:
    """Remember an accepted assertion id.

    :raises ConflictError: the org has seen this assertion id before.
    """
    row = SeenAssertion(org_id=org_id, assertion_id=assertion_id, expires_at=expires_at)
    writes.add(db, row, conflict=f"assertion {assertion_id!r} was already used")


def delete_expired(db: Session, org_id: int, now: datetime) -> None:
    """Forget the org's expired requests and assertion ids."""
    db.execute(
        delete(SamlRequest).where(
            SamlRequest.org_id == org_id, SamlRequest.expires_at <= now
        )
    )
    db.execute(
        delete(SeenAssertion).where(
            SeenAssertion.org_id == org_id, SeenAssertion.expires_at <= now
        )
    )


def count_refusal(db: Session, org_id: int, window_start: int) -> int:
    """Count one refused sign-in of the org in the window starting at
    ``window_start``; return the window's count so far.

    Uses the shared ``rate_counters`` table under keys of its own
    (``audit-sso:<org>``), with the same atomic upsert as the rate limiter, and
    drops the org's ended windows as it goes.
    """
    key = f"audit-sso:{org_id}"
    db.execute(
        delete(RateCounter).where(
            RateCounter.key == key, RateCounter.window_start < window_start
        )
    )
    insert: Any = (
        postgresql.insert
        if db.get_bind().dialect.name == "postgresql"
        else sqlite.insert
    )
    statement = (
        insert(RateCounter)
        .values(key=key, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
    )
    return int(db.execute(statement).scalar_one())
