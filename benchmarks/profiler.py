"""Run ``rollcall serve`` with cProfile in every thread, and print the merged
profile at exit.

cProfile sees only the thread that enables it, while FastAPI runs synchronous
endpoints in a thread pool (py-spy is not installed here). A
``threading.setprofile`` hook starts one profiler in each new thread, timed by
the thread's CPU clock so that waiting (for a lock, the database, a machine
busy with other work) does not count; at exit the profiles are merged and the
top functions written to ``PROFILE_OUT``.

    PROFILE_OUT=/tmp/prof.txt python -m benchmarks.profiler serve --port 8000
"""

import atexit
import cProfile
import io
import os
import pstats
import signal
import sys
import threading
import time
from typing import Any

profiles: list[cProfile.Profile] = []


def start_thread_profiler(*_args: Any) -> None:
    """Called once as the first profile event of each new thread."""
    sys.setprofile(None)
    profile = cProfile.Profile(time.thread_time)
    profiles.append(profile)
    profile.enable()


def package_of(filename: str) -> str:
    """``sqlalchemy``, ``rollcall.scim``, ``stdlib:json``... for a code file."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/src/rollcall/" in filename:
        parts = filename.split("/src/rollcall/", 1)[1].split("/")
        return "rollcall." + parts[0].removesuffix(".py")
    if "/lib/python3" in filename:
        tail = filename.split("/lib/python3", 1)[1].split("/", 1)[-1]
        return "stdlib:" + tail.split("/", 1)[0].removesuffix(".py")
    return filename or "builtin"


def own_time_by_package(stats: pstats.Stats) -> str:
    """CPU seconds spent in each package's own code (C calls count to ``~``)."""
    totals: dict[str, float] = {}
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in raw.items():
        package = package_of(filename)
        totals[package] = totals.get(package, 0.0) + own
    everything = sum(totals.values()) or 1.0
    lines = ["own CPU time by package:"]
    for package, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"{seconds:8.2f} s {100 * seconds / everything:5.1f}%  {package}")
    return "\n".join(lines) + "\n"


def write_profiles(path: str) -> None:
    main = profiles[0]
    main.disable()
    stats = pstats.Stats(main)
    for profile in profiles[1:]:
        stats.add(profile)
    out = io.StringIO()
    out.write(own_time_by_package(stats) + "\n")
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    with open(path, "w") as file:
        file.write(out.getvalue())


def main() -> None:
    threading.setprofile(start_thread_profiler)
    start_thread_profiler()
    atexit.register(write_profiles, os.environ.get("PROFILE_OUT", "profile.txt"))
    # uvicorn re-raises SIGTERM after its graceful shutdown; exiting through
    # Python (rather than the default handler) lets the atexit hook run.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    from rollcall.cli import main as rollcall_main

    sys.argv = ["rollcall", *sys.argv[1:]]
    rollcall_main()


if __name__ == "__main__":
    main()
