"""Per-key limits in fixed one-minute windows, counted in the shared database."""

import threading

from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from rollcall.domain import ratelimit
from rollcall.storage.models import RateCounter

NOW = 1_800_000_030.5  # 30.5 seconds into a window


def hit_in_own_transaction(
    factory: "sessionmaker[Session]", key: str, limit: int, now: float = NOW
) -> ratelimit.RateDecision:
    with factory.begin() as db:
        return ratelimit.hit(db, key, limit, now)


def test_requests_up_to_the_limit_pass_and_the_next_is_refused(app: FastAPI) -> None:
    factory = app.state.sessionmaker

    decisions = [hit_in_own_transaction(factory, "tok-a", 3) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.count for d in decisions] == [1, 2, 3, 4]


def test_retry_after_is_the_time_left_in_the_window(app: FastAPI) -> None:
    factory = app.state.sessionmaker

    decision = hit_in_own_transaction(factory, "tok-a", 1, now=NOW)
    late = hit_in_own_transaction(factory, "tok-b", 1, now=NOW + 29.2)

    assert decision.retry_after == 30
    assert late.retry_after == 1


def test_a_new_window_starts_a_new_count(app: FastAPI) -> None:
    factory = app.state.sessionmaker
    for _ in range(2):
        hit_in_own_transaction(factory, "tok-a", 2)
    assert not hit_in_own_transaction(factory, "tok-a", 2).allowed

    next_window = hit_in_own_transaction(factory, "tok-a", 2, now=NOW + 60)

    assert next_window.allowed
    assert next_window.count == 1


def test_keys_are_counted_apart(app: FastAPI) -> None:
    factory = app.state.sessionmaker
    for _ in range(2):
        hit_in_own_transaction(factory, "tok-a", 2)

    other = hit_in_own_transaction(factory, "tok-b", 2)

    assert other.allowed
    assert other.count == 1


def test_ended_windows_are_pruned_when_a_new_window_opens(app: FastAPI) -> None:
    factory = app.state.sessionmaker
    hit_in_own_transaction(factory, "tok-a", 5, now=NOW - 120)
    hit_in_own_transaction(factory, "tok-b", 5, now=NOW - 60)

    hit_in_own_transaction(factory, "tok-a", 5, now=NOW)

    with factory.begin() as db:
        windows = db.scalars(select(RateCounter.window_start)).all()
    assert windows == [ratelimit.window_start(NOW)]


def test_limit_zero_counts_nothing(app: FastAPI) -> None:
    factory = app.state.sessionmaker

    decisions = [hit_in_own_transaction(factory, "tok-a", 0) for _ in range(3)]

    assert all(d.allowed for d in decisions)
    with factory.begin() as db:
        assert db.scalar(select(func.count()).select_from(RateCounter)) == 0


def test_concurrent_hits_lose_no_count(app: FastAPI) -> None:
    """The upsert-increment is atomic: parallel transactions all count."""
    factory = app.state.sessionmaker
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                hit_in_own_transaction(factory, "tok-a", 1000)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert hit_in_own_transaction(factory, "tok-a", 1000).count == 41


def test_new_keys_in_one_window_prune_only_once(app: FastAPI) -> None:
    """A flood of made-up tokens (each a new key) must not make every request
    scan the table to delete ended windows."""
    factory = app.state.sessionmaker
    later = NOW + 600
    hit_in_own_transaction(factory, "tok-old", 5, now=later - 60)
    deletes: list[str] = []

    def count_deletes(*args: object) -> None:
        statement = str(args[2])
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count_deletes)
    try:
        for i in range(20):
            hit_in_own_transaction(factory, f"tok-new-{i}", 5, now=later)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count_deletes)

    assert len(deletes) == 1
    with factory.begin() as db:
        windows = set(db.scalars(select(RateCounter.window_start)).all())
    assert windows == {ratelimit.window_start(later)}


def counted(
    counts: ratelimit.LocalCounts,
    factory: "sessionmaker[Session]",
    key: str,
    limit: int,
    now: float = NOW,
) -> tuple[ratelimit.RateDecision, bool]:
    """Count one request as the SCIM edge does; True when it used the shared row."""
    decision = counts.count_locally(key, limit, now)
    if decision is not None:
        return decision, False
    with factory.begin() as db:
        return counts.count_shared(db, key, limit, now), True


def shared_count(factory: "sessionmaker[Session]", key: str) -> int | None:
    with factory.begin() as db:
        return db.scalar(select(RateCounter.count).where(RateCounter.key == key))


def test_far_below_the_limit_a_process_adds_its_requests_in_batches(
    app: FastAPI,
) -> None:
    factory = app.state.sessionmaker
    counts = ratelimit.LocalCounts(sync_every=5, sync_seconds=60)

    results = [counted(counts, factory, "tok-a", 1000) for _ in range(12)]

    assert [d.count for d, _ in results] == list(range(1, 13))
    assert all(d.allowed for d, _ in results)
    assert [n + 1 for n, (_, shared) in enumerate(results) if shared] == [1, 6, 11]
    assert shared_count(factory, "tok-a") == 11


def test_near_the_limit_every_request_of_two_processes_is_counted_exactly(
    app: FastAPI,
) -> None:
    """Two processes alternating on one token: the limit holds to the request."""
    factory = app.state.sessionmaker
    a, b = ratelimit.LocalCounts(), ratelimit.LocalCounts()

    allowed = [counted(p, factory, "tok-a", 6)[0].allowed for p in (a, b) * 3]
    over_a, _ = counted(a, factory, "tok-a", 6)
    over_b, _ = counted(b, factory, "tok-a", 6)

    assert allowed == [True] * 6
    assert (over_a.allowed, over_b.allowed) == (False, False)
    assert shared_count(factory, "tok-a") == 8


def test_a_process_reads_the_shared_count_again_after_sync_seconds(
    app: FastAPI,
) -> None:
    factory = app.state.sessionmaker
    a, b = ratelimit.LocalCounts(), ratelimit.LocalCounts(sync_every=5)
    counted(a, factory, "tok-a", 1000)
    for _ in range(20):  # b adds 16 of them to the shared row, keeps 4 pending
        counted(b, factory, "tok-a", 1000)

    soon, soon_shared = counted(a, factory, "tok-a", 1000, now=NOW + 0.5)
    later, later_shared = counted(a, factory, "tok-a", 1000, now=NOW + 1.5)

    assert (soon.count, soon_shared) == (2, False)
    assert later_shared
    assert later.count == 1 + 16 + 2 == shared_count(factory, "tok-a")


def test_a_new_window_starts_a_new_local_count(app: FastAPI) -> None:
    factory = app.state.sessionmaker
    counts = ratelimit.LocalCounts()
    for _ in range(3):
        counted(counts, factory, "tok-a", 1000)

    next_window, shared = counted(counts, factory, "tok-a", 1000, now=NOW + 60)

    assert shared
    assert next_window.count == 1


def test_keys_past_max_keys_are_counted_in_the_shared_row_each_time(
    app: FastAPI,
) -> None:
    """A flood of made-up tokens cannot grow a process's memory without bound."""
    factory = app.state.sessionmaker
    counts = ratelimit.LocalCounts(max_keys=2)
    counted(counts, factory, "tok-a", 1000)
    counted(counts, factory, "tok-b", 1000)

    third = [counted(counts, factory, "tok-c", 1000) for _ in range(3)]

    assert [shared for _, shared in third] == [True, True, True]
    assert [d.count for d, _ in third] == [1, 2, 3]
    assert counted(counts, factory, "tok-a", 1000) == (
        ratelimit.RateDecision(True, 2, 1000, 30),
        False,
    )
