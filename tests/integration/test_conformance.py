"""Third-party SCIM conformance checkers, run against the live server."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from scim2_client.client import BaseSyncSCIMClient
from scim2_tester import Status, check_server

from tests.conftest import LiveServer
from tests.scim.conftest import SCIMClient


class _HTTPXClient(BaseSyncSCIMClient):
    """scim2-client over a plain httpx.Client (its own engine needs httpx2)."""

    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", endpoint).url
        return url.raw_path.startswith(self.client.base_url.raw_path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.client.request(method, url, **kwargs)


def test_scim2_tester_discovery_checks_pass(
    scim: SCIMClient, server: LiveServer
) -> None:
    with httpx.Client(
        base_url=f"{server.url}{scim.base}",
        headers={"Authorization": f"Bearer {scim.token}"},
        timeout=30,
    ) as http:
        results = check_server(_HTTPXClient(http), include_tags={"discovery", "misc"})
    ran = [r for r in results if r.status != Status.SKIPPED]
    assert len(ran) >= 10
    failures = [(r.title, r.reason) for r in ran if r.status != Status.SUCCESS]
    assert failures == []


def test_scim_sanity_probe_passes(scim: SCIMClient, server: LiveServer) -> None:
    probe = Path(sys.executable).parent / "scim-sanity"
    result = subprocess.run(
        [
            str(probe),
            "probe",
            f"{server.url}{scim.base}",
            "--token",
            scim.token,
            "--i-accept-side-effects",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "All tests passed" in result.stdout
    assert "[FAIL]" not in result.stdout
