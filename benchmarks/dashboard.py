"""The Manage Team list at scale: one org of 100,000 members, timed over HTTP.

Seeds the members straight into the ``members`` table in batches (the domain's
one-by-one path would take minutes and is not what is measured), starts the
app in a server process of its own on 127.0.0.1, signs in with a one-time admin
link and times the team list's first page, a search and the last page.

    .venv/bin/python benchmarks/dashboard.py [--members N] [--rounds R]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

Prints one Markdown table row per page and database, ready for the README.
"""

import argparse
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from rollcall.domain import orgs, sessions
from rollcall.domain.audit import Actor
from rollcall.storage.db import make_engine, make_sessionmaker, unit_of_work
from rollcall.storage.migrate import upgrade
from rollcall.storage.models import Member, MemberState, Role, utcnow

OPERATOR = Actor.operator()
BATCH = 5_000
GIVEN = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances"]
FAMILY = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth"]
SERVER = """
import uvicorn
from rollcall.app import create_app
from rollcall.config import Settings
uvicorn.run(create_app(Settings(_env_file=None)), host="127.0.0.1", port={port},
            log_level="warning")
"""
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", help="an admin URL of a PostgreSQL server")
    args = parser.parse_args()

    print(machine())
    print("| database | page | median ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as workdir:
        run(
            "SQLite",
            f"sqlite:///{Path(workdir) / 'bench.db'}",
            args.members,
            args.rounds,
        )
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run("PostgreSQL", url, args.members, args.rounds)
    print(machine())


def run(label: str, url: str, count: int, rounds: int) -> None:
    upgrade(url)
    org_id, link = seed(url, count)
    with server(url) as base, httpx.Client(base_url=base, timeout=30) as client:
        sign_in(client, link)
        team = f"/orgs/{org_id}/team"
        last_page = -(-(count + 1) // 50)
        pages = [
            ("first page", team, {}),
            ("search by email", team, {"q": "person004242"}),
            ("search by name", team, {"q": "grace hopper"}),
            (f"last page ({last_page})", team, {"page": str(last_page)}),
        ]
        for name, path, params in pages:
            times = timed(client, path, params, rounds)
            print(
                f"| {label} | {name} | {statistics.median(times):.1f} "
                f"| {percentile(times, 95):.1f} | {max(times):.1f} |"
            )


def seed(url: str, count: int) -> tuple[str, str]:
    """An org with ``count`` active members and a sign-in link for its owner."""
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as db:
        org = orgs.create_org(db, "Benchmark Corp", ["example.com"], OPERATOR)
        org_pk, org_id = org.id, org.public_id
    now = utcnow()
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        rows = [
            member_row(org_pk, n, now) for n in range(first, min(count, first + BATCH))
        ]
        with unit_of_work(factory) as db:
            db.execute(insert(Member), rows)
    print(f"seeded {count} members in {time.perf_counter() - started:.1f} s")
    refresh_statistics(engine)
    with unit_of_work(factory) as db:
        org = orgs.get_org(db, org_id)
        raw, _expires, _member = sessions.issue_admin_link(
            db, org, "owner@example.com", minutes=15, actor=OPERATOR
        )
    engine.dispose()
    return org_id, f"/admin-link/{raw}"


def refresh_statistics(engine: Engine) -> None:
    """What autovacuum (PostgreSQL) or ``PRAGMA optimize`` (SQLite) does after a
    bulk load in production: fresh planner statistics, and on PostgreSQL a
    visibility map, without which index-only scans read the table anyway."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE members"))
        else:
            conn.execute(text("ANALYZE"))


def member_row(org_pk: int, n: int, now: object) -> dict[str, object]:
    given, family = GIVEN[n % len(GIVEN)], FAMILY[n % len(FAMILY)]
    email = f"person{n:06d}@example.com"
    return {
        "org_id": org_pk,
        "scim_id": f"00000000-0000-4000-8000-{n:012d}",
        "email": email,
        "email_lower": email,
        "given_name": given,
        "family_name": family,
        "formatted_name": f"{given} {family}",
        "role": Role.MEMBER,
        "state": MemberState.ACTIVE,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "last_sign_in_at": now,
    }


def sign_in(client: httpx.Client, link: str) -> None:
    confirm = client.get(link)
    token = CSRF.search(confirm.text)
    assert token is not None, "no CSRF token on the admin-link page"
    answer = client.post(link, data={"csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.status_code


def timed(
    client: httpx.Client, path: str, params: dict[str, str], rounds: int
) -> list[float]:
    client.get(path, params=params)  # warm the caches once
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.status_code
    return times


def percentile(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


@contextmanager
def server(url: str) -> Iterator[str]:
    """The app in a process of its own, stopped by its process id."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "ROLLCALL_DATABASE_URL": url,
        "ROLLCALL_SECRET_KEY": secrets.token_urlsafe(32),
        "ROLLCALL_LOG_LEVEL": "WARNING",
        "ROLLCALL_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER.format(port=port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"rollcall_bench_dash_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; load average {load}"
    )


if __name__ == "__main__":
    main()
