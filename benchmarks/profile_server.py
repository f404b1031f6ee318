"""Profile one Rollcall server process (see ``profiler.py``) while it serves one
kind of SCIM request, and print where its time goes.

    .venv/bin/python -m benchmarks.profile_server lookup [--db sqlite] [--requests 300]
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from benchmarks.common import (
    Server,
    free_port,
    fresh_database,
    make_scim_org,
    rollcall_environment,
)
from benchmarks.throughput import load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("op", choices=["post", "lookup", "patch", "list"])
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rollcall-prof-") as tmp:
        workdir = Path(tmp)
        profile = workdir / "profile.txt"
        with fresh_database(args.db, workdir) as url:
            org = make_scim_org(url)
            env = rollcall_environment(
                url, ROLLCALL_SCIM_RATE_LIMIT_PER_MINUTE="1000000"
            )
            port = free_port()
            env["PROFILE_OUT"] = str(profile)
            command = [sys.executable, "-m", "benchmarks.profiler", "serve"]
            command += ["--host", "127.0.0.1", "--port", str(port)]
            with Server(command, env, workdir / "server.log") as server:
                base = f"{server.url}/scim/v2/{org.public_id}"
                common = {"base": base, "token": org.token, "threads": args.threads}
                ids_out = str(workdir / "ids.json")
                n = max(100, args.requests) if args.op != "post" else args.requests
                load(
                    {
                        **common,
                        "op": "post",
                        "prefix": "u",
                        "requests": n,
                        "ids_out": ids_out,
                    },
                    workdir,
                )
                users = json.loads(Path(ids_out).read_text())
                if args.op != "post":
                    load(
                        {
                            **common,
                            "op": args.op,
                            "requests": args.requests,
                            "users": users,
                        },
                        workdir,
                    )
        print(profile.read_text())


if __name__ == "__main__":
    main()
