"""Request counters per key and fixed window, in the shared ``rate_counters`` table.

The increment is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (SQLite
3.35+ and PostgreSQL), so concurrent instances never lose a count and never see
a uniqueness error.
"""

from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollcall.storage.models import RateCounter


def increment(db: Session, key: str, window_start: int, by: int = 1) -> int:
    """Add ``by`` to the counter of ``key`` in ``window_start``; return the total."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        # A counter lost in a crash only lets a few more requests through, so its
        # commit need not wait for the WAL flush.
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(RateCounter)
        .values(key=key, window_start=window_start, count=by)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window_start],
            set_={"count": RateCounter.count + by},
        )
        .returning(RateCounter.count)
    )
    return int(db.execute(statement).scalar_one())


def prune(db: Session, before_window: int) -> None:
    """Delete every counter of a window that started before ``before_window``."""
    db.execute(delete(RateCounter).where(RateCounter.window_start < before_window))
