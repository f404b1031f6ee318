"""Simultaneous creates of one email: exactly one member, the rest 409."""

import threading
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
