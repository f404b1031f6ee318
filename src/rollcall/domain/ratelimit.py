"""Per-key request limits in fixed one-minute windows, shared by every instance.

Counts live in the database (``rate_counters``), so instances behind a load
balancer enforce one limit together. The caller runs :func:`hit` in a short
transaction of its own: the counter row is locked only for that moment, never
for the whole request it is counting. :class:`LocalCounts` spares most requests
that transaction by counting them in the process and adding them to the shared
row in batches, exactly again as the count nears the limit.
"""

import math
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rollcall.storage import counters

WINDOW_SECONDS = 60
SYNC_EVERY = 50
SYNC_SECONDS = 1.0
MAX_LOCAL_KEYS = 10_000

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


def hit(
    db: Session, key: str, limit: int, now: float | None = None, *, requests: int = 1
) -> RateDecision:
    """Count ``requests`` requests of ``key`` against ``limit`` per minute.

    The first request this process counts in a new window also deletes the
    windows that have ended, so the table holds about one row per active key.

    :param limit: requests allowed per window; 0 means no limit.
    :param requests: how many requests to add (the last of them is the one
        decided on); more than one when :class:`LocalCounts` adds a batch.
    """
    now = time.time() if now is None else now
    start = window_start(now)
    retry_after = _retry_after(start, now)
    if limit <= 0:
        return RateDecision(True, 0, limit, retry_after)

    count = counters.increment(db, key, start, by=requests)
    _prune_once_per_window(db, start)
    return RateDecision(count <= limit, count, limit, retry_after)


def _retry_after(start: int, now: float) -> int:
    return max(1, math.ceil(start + WINDOW_SECONDS - now))


def _prune_once_per_window(db: Session, start: int) -> None:
    global _pruned_for_window
    if start != _pruned_for_window:
        _pruned_for_window = start
        counters.prune(db, start)


class LocalCounts:
    """This process's share of each key's count, added to the shared row in batches.

    Counting every request in the shared ``rate_counters`` row costs a
    transaction per request. Instead, a process counts a key's requests in
    memory and adds them to the shared row (one upsert that returns the total
    of every instance) when it first sees the key in a window, every
    ``sync_every`` requests, at least every ``sync_seconds``, and on every
    request once the total it knows reaches half the limit. Near the limit the
    count is therefore exact across instances; far below it, another instance
    learns of this process's requests up to ``sync_seconds`` late, so all
    instances together may let through up to about ``sync_every`` requests per
    instance more than the limit in a window (docs/operations.md, "Limits").

    Thread-safe; the lock is never held while the database is used. Only the
    current window's keys are kept, at most ``max_keys`` of them: requests of
    keys beyond that are counted in the shared row one by one, as before.
    """

    def __init__(
        self,
        *,
        sync_every: int = SYNC_EVERY,
        sync_seconds: float = SYNC_SECONDS,
        max_keys: int = MAX_LOCAL_KEYS,
    ) -> None:
        self.sync_every = sync_every
        self.sync_seconds = sync_seconds
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._window = 0
        self._tallies: dict[str, _Tally] = {}

    def count_locally(
        self, key: str, limit: int, now: float | None = None
    ) -> RateDecision | None:
        """Count one request of ``key`` in memory, or return None when it must
        be counted in the shared row instead (then call :meth:`count_shared`)."""
        now = time.time() if now is None else now
        start = window_start(now)
        with self._lock:
            tally = self._tallies.get(key) if start == self._window else None
            if tally is None or not self._may_count_locally(tally, limit, now):
                return None
            tally.pending += 1
            count = tally.shared + tally.pending
        return RateDecision(True, count, limit, _retry_after(start, now))

    def count_shared(
        self, db: Session, key: str, limit: int, now: float | None = None
    ) -> RateDecision:
        """Add this request and the ones counted locally to the shared row."""
        now = time.time() if now is None else now
        start = window_start(now)
        with self._lock:
            tally = self._tallies.get(key) if start == self._window else None
            pending = tally.pending if tally is not None else 0
            if tally is not None:
                tally.pending = 0

        decision = hit(db, key, limit, now, requests=1 + pending)

        with self._lock:
            self._remember(key, start, decision.count, now)
        return decision

    def _may_count_locally(self, tally: "_Tally", limit: int, now: float) -> bool:
        count = tally.shared + tally.pending + 1
        return (
            2 * count <= limit
            and tally.pending + 1 < self.sync_every
            and now - tally.synced_at < self.sync_seconds
        )

    def _remember(self, key: str, start: int, shared: int, now: float) -> None:
        if start != self._window:
            if start < self._window:
                return
            self._window = start
            self._tallies.clear()
        tally = self._tallies.get(key)
        if tally is None:
            if len(self._tallies) >= self.max_keys:
                return
            tally = self._tallies[key] = _Tally(shared=shared, synced_at=now)
        tally.shared = max(tally.shared, shared)
        tally.synced_at = now


@dataclass
class _Tally:
    shared: int
    """The key's count in the shared row when this process last read it."""
    synced_at: float
    pending: int = 0
    """Requests this process let through since, not yet in the shared row."""
