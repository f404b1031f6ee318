"""Simultaneous creates of one email: exactly one member, the rest 409."""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from rollcall.storage.models import Member
from tests.scim.conftest import SCIMClient, Store, user_body

CLIENTS = 20


def test_simultaneous_posts_of_one_email_in_different_cases_create_one_member(
    scim: SCIMClient, store: Store
) -> None:
    barrier = threading.Barrier(CLIENTS, timeout=30)
    url = scim.http.base_url.join(scim.base + "/Users")
    headers = {"Authorization": f"Bearer {scim.token}"}

    def post(n: int) -> int:
        email = "".join(
            c.upper() if (n >> i) & 1 else c for i, c in enumerate("race@example.com")
        )
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            response = client.post(url, json=user_body(email), headers=headers)
        return response.status_code

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        statuses = list(pool.map(post, range(CLIENTS)))

    assert sorted(statuses) == [201] + [409] * (CLIENTS - 1)
    with store() as db:
        count = db.scalar(
            select(func.count()).select_from(Member).where(Member.org_id == scim.org.id)
        )
    assert count == 1


def test_a_slow_upload_does_not_hold_up_other_writers(scim: SCIMClient) -> None:
    """The body is read before the request's transaction begins: on SQLite that
    transaction holds the database's write lock until it ends."""
    url = scim.http.base_url.join(scim.base + "/Users")
    headers = {"Authorization": f"Bearer {scim.token}"}
    started = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],'
        started.set()
        time.sleep(3)
        yield b'"userName": "slow@example.com"}'

    def slow_post() -> int:
        with httpx.Client(timeout=60) as client:
            return client.post(url, content=slow_body(), headers=headers).status_code

    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(slow_post)
        assert started.wait(10)
        time.sleep(0.3)
        began = time.monotonic()
        quick = scim.post("/Users", user_body("quick@example.com"))
        waited = time.monotonic() - began
        assert slow.result() == 201

    assert quick.status_code == 201
    assert waited < 2.5


def test_simultaneous_changes_with_one_if_match_let_exactly_one_through(
    scim: SCIMClient,
) -> None:
    created = scim.create("ada@example.com")
    url = scim.http.base_url.join(f"{scim.base}/Users/{created['id']}")
    headers = {
        "Authorization": f"Bearer {scim.token}",
        "If-Match": created["meta"]["version"],
    }
    barrier = threading.Barrier(10, timeout=30)

    def put(n: int) -> tuple[int, str]:
        body = user_body("ada@example.com", displayName=f"Writer {n}")
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            response = client.put(url, json=body, headers=headers)
        return response.status_code, response.headers.get("etag", "")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(put, range(10)))

    statuses = sorted(status for status, _etag in results)
    assert statuses == [200] + [412] * 9
    final = scim.get(f"/Users/{created['id']}")
    winner = next(etag for status, etag in results if status == 200)
    assert final.headers["etag"] == winner
