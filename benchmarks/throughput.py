"""SCIM throughput and server CPU per request, beside a bare Starlette app.

For Rollcall on SQLite and on PostgreSQL, and for ``bare_app`` (fixed bodies,
the framework's ceiling), each with 1, 2 and 4 uvicorn workers, this sends a
bounded number of POST, ``userName eq`` lookup, PATCH and list-page requests
from a separate load-generator process, and reads the server's CPU time (all
its processes) from /proc before and after each kind.

    .venv/bin/python -m benchmarks.throughput [--requests 300] [--threads 4]

Prints a Markdown table (pasted into benchmarks/README.md) and writes the raw
numbers to ``benchmarks/results/throughput.json``.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ROOT,
    Server,
    bare_command,
    free_port,
    fresh_database,
    make_scim_org,
    rollcall_command,
    rollcall_environment,
)

OPS = ("post", "lookup", "patch", "list")
RESULTS = ROOT / "benchmarks" / "results"


def load(spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run the load generator in its own process and return its summary."""
    path = workdir / "spec.json"
    path.write_text(json.dumps(spec))
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen", str(path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


@contextmanager
def target(name: str, workers: int, workdir: Path) -> Iterator[tuple[Server, str, str]]:
    """A running server for ``name``: (server, SCIM base URL, token)."""
    port = free_port()
    if name == "bare":
        env = rollcall_environment("sqlite://")
        with Server(bare_command(port, workers), env, workdir / "bare.log") as srv:
            yield srv, f"{srv.url}/scim/v2/bare", "bare"
        return
    with fresh_database(name, workdir) as url:
        org = make_scim_org(url)
        # The limit stays on (its counter costs a transaction per request) but
        # high enough never to refuse a benchmark request.
        env = rollcall_environment(url, ROLLCALL_SCIM_RATE_LIMIT_PER_MINUTE="1000000")
        log = workdir / f"{name}-{workers}.log"
        with Server(rollcall_command(port, workers), env, log) as srv:
            yield srv, f"{srv.url}/scim/v2/{org.public_id}", org.token


def measure(
    name: str, workers: int, requests: int, threads: int, workdir: Path
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with target(name, workers, workdir) as (server, base, token):
        common = {"base": base, "token": token, "threads": threads}
        load({**common, "op": "post", "prefix": "warm", "requests": 40}, workdir)
        ids_out = str(workdir / "ids.json")
        users: list[dict[str, str]] = []
        for op in OPS:
            spec = {**common, "op": op, "requests": requests, "users": users}
            spec.update(prefix="user", ids_out=ids_out if op == "post" else None)
            before = server.cpu_seconds()
            summary = load(spec, workdir)
            cpu = server.cpu_seconds() - before
            if op == "post":
                users = json.loads(Path(ids_out).read_text()) or [
                    {"id": "x", "email": "user0000001@example.com"}
                ]
            results[op] = {
                "per_second": requests / summary["seconds"],
                "cpu_ms": 1000 * cpu / requests,
                "statuses": summary["statuses"],
            }
            print(name, workers, op, results[op], flush=True)
    return results


def table(results: dict[str, dict[str, Any]], workers: list[int]) -> str:
    lines = [
        "| target | workers | op | req/s | server CPU ms/req | CPU vs bare |",
        "|---|---|---|---|---|---|",
    ]
    for key, by_op in results.items():
        name, count = key.split(":")
        for op in OPS:
            row = by_op[op]
            bare = results.get(f"bare:{count}", {}).get(op)
            ratio = f"{row['cpu_ms'] / bare['cpu_ms']:.1f}x" if bare else "-"
            lines.append(
                f"| {name} | {count} | {op} | {row['per_second']:.0f} "
                f"| {row['cpu_ms']:.2f} | {ratio} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--targets", default="bare,sqlite,postgresql")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="rollcall-bench-") as tmp:
        for name in args.targets.split(","):
            for count in workers:
                results[f"{name}:{count}"] = measure(
                    name, count, args.requests, args.threads, Path(tmp)
                )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "throughput.json").write_text(json.dumps(results, indent=2))
    print(table(results, workers))


if __name__ == "__main__":
    main()
