"""Third-party SCIM conformance checkers, run against the live server."""

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from scim2_client.client import BaseSyncSCIMClient
from scim2_tester import Status, check_server, filling

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


# Checks of scim2-tester that Rollcall fails on purpose: the primary email is the
# member's identity (DESIGN.md, "Identity rules"), so replacing, adding or removing
# it is 400 mutability, and ``active`` cannot be removed, only set. README.md,
# "Conformance checkers", explains each.
DELIBERATE = {
    ("object_replacement", "email cannot change"),
    ("check_add_attribute", "email cannot change"),
    ("check_replace_attribute", "email cannot change"),
    ("check_remove_attribute", "emails cannot be removed"),
    ("check_remove_attribute", "active cannot be removed"),
    # Only the primary email is stored; an added secondary one is not echoed.
    ("check_add_attribute", "unexpected value for 'emails'"),
    ("check_replace_attribute", "unexpected value for 'emails'"),
}
_GENERATE = filling.generate_random_value


def _value_within_identity_rules(context: Any, path: Any, *args: Any, **kw: Any) -> Any:
    """scim2-tester's random values, but a userName that is an email on the org's
    SSO domain and no separate emails, as Rollcall's identity rules require."""
    if str(path).endswith("userName"):
        return f"{uuid.uuid4()}@example.com"
    if str(path).endswith("emails"):
        return None
    return _GENERATE(context, path, *args, **kw)


def test_scim2_tester_full_run_fails_only_where_rollcall_differs_on_purpose(
    scim: SCIMClient, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filling, "generate_random_value", _value_within_identity_rules)
    with httpx.Client(
        base_url=f"{server.url}{scim.base}",
        headers={"Authorization": f"Bearer {scim.token}"},
        timeout=30,
    ) as http:
        results = check_server(_HTTPXClient(http))

    passed = [r for r in results if r.status == Status.SUCCESS]
    failed = [r for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    assert len(passed) >= 40
    unexplained = [
        (r.title, r.reason)
        for r in failed
        if not any(
            r.title == title and phrase in (r.reason or "")
            for title, phrase in DELIBERATE
        )
    ]
    assert unexplained == []
    assert "object_replacement" in {r.title for r in failed}


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
