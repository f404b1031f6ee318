"""A bounded load generator, run as a process of its own beside the server.

``python -m benchmarks.loadgen SPEC.json`` sends ``requests`` SCIM requests of
one kind from ``threads`` threads (each with a keep-alive connection) and
prints one JSON line: requests, seconds, statuses and, for ``post``, the ids
of the created users (written to ``ids_out``).
"""

import json
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def request_for(spec: dict[str, Any], i: int) -> tuple[str, str, dict[str, Any]]:
    """(method, path, httpx keyword arguments) of the i-th request."""
    op = spec["op"]
    users = spec.get("users") or []
    if op == "post":
        email = f"{spec['prefix']}{i:07d}@example.com"
        body = {
            "schemas": [USER_SCHEMA],
            "userName": email,
            "name": {"givenName": "Bench", "familyName": "Mark"},
            "emails": [{"value": email, "type": "work", "primary": True}],
            "active": True,
        }
        return "POST", "/Users", {"json": body}
    if op == "lookup":
        email = users[i % len(users)]["email"]
        return "GET", "/Users", {"params": {"filter": f'userName eq "{email}"'}}
    if op == "patch":
        user_id = users[i % len(users)]["id"]
        body = {
            "schemas": [PATCH_SCHEMA],
            "Operations": [
                {"op": "replace", "path": "name.givenName", "value": f"Bench{i % 7}"}
            ],
        }
        return "PATCH", f"/Users/{user_id}", {"json": body}
    if op == "list":
        start = 1 + (i % max(1, spec.get("pages", 1))) * 100
        return "GET", "/Users", {"params": {"startIndex": start, "count": 100}}
    raise ValueError(f"unknown op {op!r}")


def run(spec: dict[str, Any]) -> dict[str, Any]:
    total, threads = spec["requests"], spec["threads"]
    statuses: Counter[int] = Counter()
    created: list[dict[str, str]] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {spec['token']}"}

    def worker(offset: int) -> None:
        with httpx.Client(base_url=spec["base"], headers=headers, timeout=60) as http:
            for i in range(offset, total, threads):
                method, path, kwargs = request_for(spec, i)
                response = http.request(method, path, **kwargs)
                with lock:
                    statuses[response.status_code] += 1
                    if spec["op"] == "post" and response.status_code == 201:
                        body = response.json()
                        created.append({"id": body["id"], "email": body["userName"]})

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    seconds = time.perf_counter() - started
    if spec.get("ids_out"):
        Path(spec["ids_out"]).write_text(json.dumps(created))
    return {"requests": total, "seconds": seconds, "statuses": dict(statuses)}


if __name__ == "__main__":
    print(json.dumps(run(json.loads(Path(sys.argv[1]).read_text()))))
