"""Per-key request limits in fixed one-minute windows, shared by every instance.

Counts live in the database (``rate_counters``), so instances behind a load
balancer enforce one limit together. The caller runs :func:`hit` in a short
transaction of its own: the counter row is locked only for that moment, never
for the whole request it is counting.
"""

import math
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rollcall.storage import counters

WINDOW_SECONDS = 60

# The window whose predecessors this process deleted last. Pruning once per window
# and process, rather than on each key's first request, keeps a flood of made-up
# tokens (each a new key) from turning every request into a scan of the table.
_pruned_for_window = 0


@dataclass(frozen=True)
class RateDecision:
    """The outcome of one counted request."""

    allowed: bool
    count: int
    limit: int
    retry_after: int
    """Seconds until the next window opens (at least 1)."""


def window_start(now: float) -> int:
    return int(now // WINDOW_SECONDS) * WINDOW_SECONDS


def hit(db: Session, key: str, limit: int, now: float | None = None) -> RateDecision:
    """Count one request of ``key`` against ``limit`` per minute.

    The first request this process counts in a new window also deletes the
    windows that have ended, so the table holds about one row per active key.

    :param limit: requests allowed per window; 0 means no limit.
    """
    now = time.time() if now is None else now
    start = window_start(now)
    retry_after = max(1, math.ceil(start + WINDOW_SECONDS - now))
    if limit <= 0:
        return RateDecision(True, 0, limit, retry_after)

    count = counters.increment(db, key, start)
    _prune_once_per_window(db, start)
    return RateDecision(count <= limit, count, limit, retry_after)


def _prune_once_per_window(db: Session, start: int) -> None:
    global _pruned_for_window
    if start != _pruned_for_window:
        _pruned_for_window = start
        counters.prune(db, start)
