"""A server killed in the middle of provisioning loses nothing it acknowledged.

Users are provisioned over SCIM by a few threads at once; the server process is
killed with SIGKILL midway and started again. Every POST that got a 2xx must be
there afterwards, and nothing may be half-written: each member row is complete
and has its audit entry.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from rollcall.storage.models import AuditEntry, Member
from tests.factories import make_org, make_token
from tests.integration.serverproc import ServerProcess, server_environment

pytestmark = pytest.mark.slow

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PLANNED = 2000
THREADS = 4
KILL_AFTER = 300  # acknowledged creations before the kill


@dataclass
class Outcome:
    email: str
    status: int | None  # None: no answer (the server died meanwhile)
    scim_id: str | None


@pytest.fixture
def scim_org(app: FastAPI) -> Iterator[tuple[str, str]]:
    """An org ready for provisioning and a token of it: (org public id, token)."""
    with app.state.sessionmaker.begin() as db:
        org = make_org(db)
        token = make_token(db, org)
        org_id = org.public_id
    yield org_id, token


def user_body(email: str) -> dict[str, object]:
    return {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": "Crash", "familyName": "Test"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }


class Provisioner:
    """Sends the planned POSTs from a few threads and kills the server midway."""

    def __init__(self, server: ServerProcess, org_id: str, token: str) -> None:
        self.base = f"{server.url}/scim/v2/{org_id}/Users"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.server = server
        self.lock = threading.Lock()
        self.acknowledged = 0
        self.killed = threading.Event()
        self.outcomes: list[Outcome] = []

    def run(self) -> list[Outcome]:
        emails = [f"crash{i:05d}@example.com" for i in range(PLANNED)]
        slices = [emails[i::THREADS] for i in range(THREADS)]
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(self._send_all, slices))
        return self.outcomes

    def _send_all(self, emails: list[str]) -> None:
        with httpx.Client(headers=self.headers, timeout=10) as client:
            for email in emails:
                if self.killed.is_set():
                    return
                self._record(self._send(client, email))

    def _send(self, client: httpx.Client, email: str) -> Outcome:
        try:
            response = client.post(self.base, json=user_body(email))
        except httpx.TransportError:
            return Outcome(email, None, None)
        scim_id = response.json().get("id") if response.is_success else None
        return Outcome(email, response.status_code, scim_id)

    def _record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if outcome.status is not None and 200 <= outcome.status < 300:
                self.acknowledged += 1
            if self.acknowledged >= KILL_AFTER and not self.killed.is_set():
                self.killed.set()
                self.server.kill()


def check_readable(
    server: ServerProcess, org_id: str, token: str, acknowledged: list[Outcome]
) -> int:
    """GET every acknowledged member by id; return the listed total."""
    with httpx.Client(
        base_url=f"{server.url}/scim/v2/{org_id}",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        for outcome in acknowledged:
            response = client.get(f"/Users/{outcome.scim_id}")
            assert response.status_code == 200, outcome
            assert response.json()["userName"] == outcome.email
        total: int = client.get("/Users", params={"count": 1}).json()["totalResults"]
        return total


def test_killed_server_keeps_every_acknowledged_member_whole(
    app: FastAPI, database_url: str, scim_org: tuple[str, str], tmp_path: Path
) -> None:
    org_id, token = scim_org
    env = server_environment(database_url, ROLLCALL_SCIM_RATE_LIMIT_PER_MINUTE="0")
    server = ServerProcess(env, tmp_path / "server.log").start()
    try:
        outcomes = Provisioner(server, org_id, token).run()
    finally:
        server.stop()

    acknowledged = [o for o in outcomes if o.status is not None and o.status < 300]
    assert len(acknowledged) >= KILL_AFTER
    assert len(outcomes) < PLANNED, "the server was not killed midway"
    assert {o.status for o in outcomes} <= {201, None}

    with ServerProcess(env, tmp_path / "restarted.log") as restarted:
        listed_total = check_readable(restarted, org_id, token, acknowledged)

    with app.state.sessionmaker.begin() as db:
        rows = db.scalars(select(Member)).all()
        audited = db.scalars(
            select(AuditEntry.member_id).where(
                AuditEntry.action == "member.provisioned"
            )
        ).all()

    assert {o.email for o in acknowledged} <= {m.email for m in rows}
    assert listed_total == len(rows)
    for member in rows:
        assert member.scim_id and member.email_lower == member.email.lower()
        assert member.given_name == "Crash" and member.family_name == "Test"
        assert member.state == "provisioned" and member.created_at is not None
    assert sorted(audited) == sorted(m.id for m in rows)
