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
