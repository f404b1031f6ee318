"""Shared plumbing of the benchmarks: databases, server processes, CPU time.

Servers run as operators run them (``python -m rollcall serve``) on a free port
of 127.0.0.1 and are stopped by their own process id. CPU time is read from
``/proc/<pid>/stat`` for the server process and every process below it (the
uvicorn workers), so a measurement covers all the work the server did.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rollcall.domain import orgs
from rollcall.domain.audit import Actor
from rollcall.storage.db import make_engine, make_sessionmaker
from rollcall.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "ROLLCALL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET_KEY = secrets.token_urlsafe(32)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
OPERATOR = Actor.operator()
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'bench-{secrets.token_hex(3)}.db'}"
        upgrade(url)
        yield url
        return
    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"rollcall_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class ScimOrg:
    public_id: str
    internal_id: int
    token: str


def make_scim_org(database_url: str, domain: str = "example.com") -> ScimOrg:
    """An org with SSO configured, provisioning on and a fresh SCIM token."""
    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as db:
        org = orgs.create_org(db, "Benchmark Corp", [domain], OPERATOR)
        orgs.set_subscription(db, org, True, OPERATOR)
        idp = orgs.IdPSettings(
            entity_id="https://idp.example.test/metadata",
            sso_url="https://idp.example.test/sso",
            sso_binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            certificates=[],
            metadata_xml="<EntityDescriptor/>",
        )
        orgs.configure_sso(db, org, idp, OPERATOR)
        orgs.set_provisioning(db, org, True, OPERATOR)
        _token, raw = orgs.issue_token(db, org, OPERATOR)
        result = ScimOrg(org.public_id, org.id, raw)
    engine.dispose()
    return result


def rollcall_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rollcall",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def bare_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.bare_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def rollcall_environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLCALL_")}
    env.update(
        ROLLCALL_ENVIRONMENT="production",
        ROLLCALL_DATABASE_URL=database_url,
        ROLLCALL_PUBLIC_URL="http://127.0.0.1",
        ROLLCALL_SECRET_KEY=SECRET_KEY,
        ROLLCALL_LOG_FORMAT="json",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


class Server:
    """A server process; ``cpu_seconds`` sums it and all its descendants."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command = command
        self.env = env
        self.log = log
        self.port = int(command[command.index("--port") + 1])
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/healthz", timeout: float = 60) -> "Server":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited; see {self.log}")
                try:
                    if client.get(self.url + ready_path).status_code == 200:
                        time.sleep(0.5 if "--workers" in self.command else 0)
                        return self
                except httpx.TransportError:
                    time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start; see {self.log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        return sum(process_cpu(pid) for pid in process_tree(self.process.pid))

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def process_cpu(pid: int) -> float:
    """User plus system CPU seconds of ``pid`` (0 if it has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(root: int) -> list[int]:
    """``root`` and every live process below it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree
