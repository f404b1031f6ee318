"""SCIM at 1,000 and 100,000 members: lookups, PATCH and a full paged walk.

For SQLite and PostgreSQL, one ``rollcall serve`` process and one client:

1. the first 500 members are created through SCIM POSTs (the real path, with
   audit entries and the provisioning log);
2. the rest are inserted in bulk straight into ``members`` for speed (these rows
   have no audit entries; nothing measured here reads them);
3. at 1,000 and at 100,000 members it times ``userName eq`` lookups of random
   members, PATCHes of random members, and a walk over every page of 100,
   reporting the first page, the last page and the median page.

    .venv/bin/python -m benchmarks.scim_scale [--databases sqlite,postgresql]

Prints a Markdown table and writes ``benchmarks/results/scim_scale.json``.
"""

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text

from benchmarks.common import (
    PATCH_SCHEMA,
    ROOT,
    USER_SCHEMA,
    ScimOrg,
    Server,
    free_port,
    fresh_database,
    make_scim_org,
    rollcall_command,
    rollcall_environment,
)
from rollcall.storage.db import make_engine
from rollcall.storage.models import Member, MemberState, Role, utcnow

THROUGH_SCIM = 500
SIZES = (1_000, 100_000)
SAMPLES = 200
BATCH = 5_000
RESULTS = ROOT / "benchmarks" / "results"


def email(i: int) -> str:
    return f"member{i:06d}@example.com"


def post_members(client: httpx.Client, count: int) -> float:
    """Create ``count`` members through SCIM; return seconds per POST."""
    started = time.perf_counter()
    for i in range(count):
        body = {
            "schemas": [USER_SCHEMA],
            "userName": email(i),
            "name": {"givenName": "Scale", "familyName": f"Member{i}"},
            "emails": [{"value": email(i), "type": "work", "primary": True}],
        }
        response = client.post("/Users", json=body)
        assert response.status_code == 201, response.text
    return (time.perf_counter() - started) / count


def bulk_insert(database_url: str, org: ScimOrg, first: int, last: int) -> None:
    """Insert members ``first`` .. ``last - 1`` directly, in batches."""
    engine = make_engine(database_url)
    now = utcnow()
    for start in range(first, last, BATCH):
        rows = [
            {
                "org_id": org.internal_id,
                "scim_id": str(uuid.uuid4()),
                "email": email(i),
                "email_lower": email(i),
                "given_name": "Scale",
                "family_name": f"Member{i}",
                "formatted_name": f"Scale Member{i}",
                "role": Role.MEMBER,
                "state": MemberState.PROVISIONED,
                "scim_managed": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(start, min(start + BATCH, last))
        ]
        with engine.begin() as conn:
            conn.execute(insert(Member), rows)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def timed(call: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = call()
    return (time.perf_counter() - started) * 1000, response


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1],
    }


def measure(client: httpx.Client, size: int, rng: random.Random) -> dict[str, Any]:
    picks = [rng.randrange(size) for _ in range(SAMPLES)]
    lookups, ids = [], []
    for i in picks:
        params = {"filter": f'userName eq "{email(i)}"'}
        ms, response = timed(lambda params=params: client.get("/Users", params=params))
        [found] = response.json()["Resources"]
        lookups.append(ms)
        ids.append(found["id"])

    patches = []
    for n, member_id in enumerate(ids):
        body = {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "replace", "path": "name.givenName", "value": f"P{n}"}
            ],
        }
        ms, response = timed(
            lambda member_id=member_id, body=body: client.patch(
                f"/Users/{member_id}", json=body
            )
        )
        assert response.status_code == 200, response.text
        patches.append(ms)

    pages, seen, start = [], 0, 1
    while True:
        params = {"startIndex": start, "count": 100}
        ms, response = timed(lambda params=params: client.get("/Users", params=params))
        page = response.json()
        pages.append(ms)
        seen += len(page["Resources"])
        if start + 100 > page["totalResults"]:
            break
        start += 100
    assert seen == size, (seen, size)
    return {
        "lookup": summary(lookups),
        "patch": summary(patches),
        "pages": len(pages),
        "first_page_ms": pages[0],
        "last_page_ms": pages[-1],
        "median_page_ms": statistics.median(pages),
        "walk_seconds": sum(pages) / 1000,
    }


def run(kind: str, sizes: list[int], workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    rng = random.Random(7)
    with fresh_database(kind, workdir) as url:
        org = make_scim_org(url)
        env = rollcall_environment(url, ROLLCALL_SCIM_RATE_LIMIT_PER_MINUTE="0")
        command = rollcall_command(free_port(), 1)
        with Server(command, env, workdir / f"scale-{kind}.log") as server:
            base = f"{server.url}/scim/v2/{org.public_id}"
            headers = {"Authorization": f"Bearer {org.token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                results["post_ms"] = 1000 * post_members(client, THROUGH_SCIM)
                have = THROUGH_SCIM
                for size in sizes:
                    started = time.perf_counter()
                    bulk_insert(url, org, have, size)
                    results[f"seed_{size}_seconds"] = time.perf_counter() - started
                    have = size
                    results[size] = measure(client, size, rng)
                    print(kind, size, json.dumps(results[size]), flush=True)
    return results


def table(results: dict[str, dict[str, Any]], sizes: list[int]) -> str:
    lines = [
        "| database | members | lookup median / p95 ms | PATCH median / p95 ms "
        "| first page ms | last page ms | median page ms | pages |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, by_size in results.items():
        for size in sizes:
            row = by_size[size]
            lines.append(
                f"| {kind} | {size:,} "
                f"| {row['lookup']['median_ms']:.1f} / {row['lookup']['p95_ms']:.1f} "
                f"| {row['patch']['median_ms']:.1f} / {row['patch']['p95_ms']:.1f} "
                f"| {row['first_page_ms']:.1f} | {row['last_page_ms']:.1f} "
                f"| {row['median_page_ms']:.1f} | {row['pages']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="rollcall-scale-") as tmp:
        for kind in args.databases.split(","):
            results[kind] = run(kind, sizes, Path(tmp))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scim_scale.json").write_text(json.dumps(results, indent=2))
    print(table(results, sizes))


if __name__ == "__main__":
    main()
