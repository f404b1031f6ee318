"""Rollcall servers in processes of their own, as an operator runs them.

Each server is ``python -m rollcall serve`` on a free port of 127.0.0.1, with
its output in a file the test can read, and is stopped by its own process id.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

SECRET_KEY = "integration-secret-key-that-is-long-enough-0001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server process on ``database_url``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ROLLCALL_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        ROLLCALL_ENVIRONMENT="production",
        ROLLCALL_DATABASE_URL=database_url,
        ROLLCALL_PUBLIC_URL="http://127.0.0.1",
        ROLLCALL_SECRET_KEY=SECRET_KEY,
        ROLLCALL_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class ServerProcess:
    """One ``rollcall serve`` process; a context manager that stops it."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        workers: int = 1,
        port: int | None = None,
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30) -> "ServerProcess":
        command = [
            sys.executable,
            "-m",
            "rollcall",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start: {self.log_path.read_text()}")

    def kill(self) -> None:
        """End the server at once, as a crash or an out-of-memory kill would."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Ask the server to shut down; kill it if it does not within 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()
