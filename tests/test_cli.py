"""The operator command line, run in-process against the test database.

``serve`` is also run once as a real process, stopped by its own process id.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result
from uvicorn.importer import import_from_string

from rollcall.cli import app
from rollcall.config import Settings
from rollcall.saml import devidp
from rollcall.saml.keys import KeyPair, generate_key_pair
from tests.conftest import PUBLIC_URL, LiveServer
from tests.saml.idp import TestIdP

ORG_KEYS = {
    "id",
    "name",
    "domains",
    "subscription_active",
    "sso_configured",
    "idp_entity_id",
    "provisioning_enabled",
    "created_at",
}
TOKEN_KEYS = {"id", "hint", "created_at", "created_by", "last_used_at", "revoked_at"}
SECRET_KEY = "test-secret-key-that-is-long-enough-1234"


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    """The environment a command runs with: the test database, a fixed URL."""
    return {
        "ROLLCALL_DATABASE_URL": database_url,
        "ROLLCALL_PUBLIC_URL": PUBLIC_URL,
        "ROLLCALL_SECRET_KEY": SECRET_KEY,
        "ROLLCALL_ENVIRONMENT": "test",
        "ROLLCALL_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="module")
def idp_key() -> KeyPair:
    return generate_key_pair("idp.cli.example.test")


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """Run ``rollcall ARGS``; an exception that escaped the CLI fails the test."""
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def run_json(env: dict[str, str], *args: str) -> Any:
    result = run(env, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def create_org(env: dict[str, str], *domains: str, name: str = "Acme") -> str:
    args = [arg for domain in domains for arg in ("--domain", domain)]
    org_id: str = run_json(env, "org", "create", "--name", name, *args)["id"]
    return org_id


def assert_fails(result: Result, message: str) -> None:
    """Exit status 1, the message on stderr in one line, no traceback."""
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def metadata_file(tmp_path: Path, key: KeyPair) -> Path:
    path = tmp_path / "idp.xml"
    path.write_text(TestIdP(key).metadata())
    return path


def configured_org(env: dict[str, str], tmp_path: Path, key: KeyPair) -> str:
    """An org with a subscription and SSO, ready for provisioning."""
    org_id = create_org(env, "example.com")
    run_json(env, "org", "subscription", org_id, "active")
    run_json(
        env, "org", "sso", org_id, "--idp-metadata", str(metadata_file(tmp_path, key))
    )
    return org_id


def test_org_create_prints_id_name_and_domains(env: dict[str, str]) -> None:
    data = run_json(
        env,
        "org",
        "create",
        "--name",
        " Acme ",
        "--domain",
        "Acme.COM",
        "--domain",
        "@acme.org",
    )
    assert set(data) == {"id", "name", "domains"}
    assert data["name"] == "Acme"
    assert data["domains"] == ["acme.com", "acme.org"]
    assert len(data["id"]) == 16


def test_org_show_and_list_report_subscription_sso_and_provisioning(
    env: dict[str, str],
) -> None:
    first = create_org(env, "acme.com", name="Acme")
    second = create_org(env, "globex.com", name="Globex")

    shown = run_json(env, "org", "show", first)
    listed = run_json(env, "org", "list")

    assert set(shown) == ORG_KEYS
    assert shown["subscription_active"] is False
    assert shown["sso_configured"] is False
    assert shown["idp_entity_id"] is None
    assert shown["provisioning_enabled"] is False
    assert [o["id"] for o in listed] == [first, second]
    assert listed[0] == shown


def test_human_output_is_a_short_table(env: dict[str, str]) -> None:
    org_id = create_org(env, "acme.com")

    result = run(env, "org", "list")

    assert result.exit_code == 0
    header, row = result.stdout.strip().splitlines()
    assert header.split() == [
        "ID",
        "NAME",
        "SUBSCRIPTION",
        "SSO",
        "PROVISIONING",
        "DOMAINS",
    ]
    assert row.split() == [org_id, "Acme", "inactive", "no", "off", "acme.com"]


def test_unknown_org_exits_1_with_error_on_stderr_and_json_on_stdout(
    env: dict[str, str],
) -> None:
    result = run(env, "org", "show", "nope", "--json")

    assert_fails(result, "no org with id 'nope'")
    assert json.loads(result.stdout) == {"error": "no org with id 'nope'"}


def test_unknown_org_without_json_prints_nothing_on_stdout(env: dict[str, str]) -> None:
    result = run(env, "scim-token", "list", "nope")

    assert_fails(result, "no org with id 'nope'")
    assert result.stdout == ""


def test_bad_domain_is_refused_and_creates_no_org(env: dict[str, str]) -> None:
    result = run(
        env, "org", "create", "--name", "Acme", "--domain", "not a domain", "--json"
    )

    assert_fails(result, "'not a domain' is not a domain name")
    assert run_json(env, "org", "list") == []


def test_usage_mistakes_exit_2(env: dict[str, str]) -> None:
    org_id = create_org(env, "acme.com")

    assert run(env, "org", "create", "--name", "No domain").exit_code == 2
    assert run(env, "org", "subscription", org_id, "maybe").exit_code == 2
    assert run(env, "org", "provisioning", org_id).exit_code == 2
    assert run(env, "no-such-command").exit_code == 2


def test_domain_add_and_remove_change_the_org(env: dict[str, str]) -> None:
    org_id = create_org(env, "acme.com")

    added = run_json(env, "org", "domain", "add", org_id, "Acme.io")
    removed = run_json(env, "org", "domain", "remove", org_id, "acme.com")

    assert added["domains"] == ["acme.com", "acme.io"]
    assert removed["domains"] == ["acme.io"]
    assert set(removed) == ORG_KEYS


def test_removing_a_domain_the_org_lacks_is_an_error(env: dict[str, str]) -> None:
    org_id = create_org(env, "acme.com")

    result = run(env, "org", "domain", "remove", org_id, "globex.com")

    assert_fails(result, "globex.com is not an SSO domain of this org")


def test_provisioning_on_says_what_is_missing(
    env: dict[str, str], tmp_path: Path, idp_key: KeyPair
) -> None:
    org_id = create_org(env, "example.com")

    neither = run(env, "org", "provisioning", org_id, "on", "--json")
    run_json(env, "org", "subscription", org_id, "active")
    no_sso = run(env, "org", "provisioning", org_id, "on")

    assert_fails(neither, "an active subscription and SAML single sign-on configured")
    assert "active subscription" not in no_sso.stderr
    assert_fails(no_sso, "SAML single sign-on configured")
    assert run_json(env, "org", "show", org_id)["provisioning_enabled"] is False


def test_provisioning_on_and_off_with_subscription_and_sso(
    env: dict[str, str], tmp_path: Path, idp_key: KeyPair
) -> None:
    org_id = configured_org(env, tmp_path, idp_key)

    on = run_json(env, "org", "provisioning", org_id, "on")
    off = run_json(env, "org", "provisioning", org_id, "off")

    assert on["provisioning_enabled"] is True
    assert off["provisioning_enabled"] is False


def test_sso_stores_the_metadata_entity_id_url_and_certificate(
    env: dict[str, str], tmp_path: Path, idp_key: KeyPair
) -> None:
    org_id = create_org(env, "example.com")
    run_json(env, "org", "subscription", org_id, "active")
    idp = TestIdP(idp_key)
    path = metadata_file(tmp_path, idp_key)

    data = run_json(env, "org", "sso", org_id, "--idp-metadata", str(path))

    assert set(data) == {"org", "entity_id", "sso_url", "sso_binding", "certificates"}
    assert data["entity_id"] == idp.entity_id
    assert data["sso_url"] == idp.sso_url
    assert data["sso_binding"].endswith("HTTP-Redirect")
    [certificate] = data["certificates"]
    assert len(certificate["sha256"].split(":")) == 32
    assert run_json(env, "org", "show", org_id)["idp_entity_id"] == idp.entity_id


def test_sso_reads_metadata_from_standard_input(
    env: dict[str, str], idp_key: KeyPair
) -> None:
    org_id = create_org(env, "example.com")
    run_json(env, "org", "subscription", org_id, "active")
    idp = TestIdP(idp_key)

    result = run(env, "org", "sso", org_id, "--idp-metadata", "-", stdin=idp.metadata())

    assert result.exit_code == 0, result.stderr
    assert f"idp entity id  {idp.entity_id}" in result.stdout
    assert run_json(env, "org", "show", org_id)["idp_entity_id"] == idp.entity_id


def test_sso_refuses_unreadable_or_unusable_metadata(
    env: dict[str, str], tmp_path: Path
) -> None:
    org_id = create_org(env, "example.com")
    run_json(env, "org", "subscription", org_id, "active")
    not_xml = tmp_path / "not.xml"
    not_xml.write_text("this is not XML")
    binary = tmp_path / "binary.xml"
    binary.write_bytes(b"\xff\xfe\x00<md:")

    def sso(path: Path) -> Result:
        return run(env, "org", "sso", org_id, "--idp-metadata", str(path), "--json")

    assert_fails(sso(tmp_path / "missing.xml"), "cannot read")
    assert_fails(sso(tmp_path), "cannot read")
    assert_fails(sso(binary), "is not UTF-8 text")
    not_xml_result = sso(not_xml)
    assert not_xml_result.exit_code == 1
    assert "metadata" in json.loads(not_xml_result.stdout)["error"]
    assert run_json(env, "org", "show", org_id)["sso_configured"] is False


def test_sso_change_refused_while_subscription_inactive(
    env: dict[str, str], tmp_path: Path, idp_key: KeyPair
) -> None:
    org_id = create_org(env, "example.com")
    path = metadata_file(tmp_path, idp_key)

    result = run(env, "org", "sso", org_id, "--idp-metadata", str(path))

    assert_fails(result, "subscription is not active")


def test_scim_token_is_printed_once_and_works_over_http(
    env: dict[str, str], tmp_path: Path, idp_key: KeyPair, http: httpx.Client
) -> None:
    org_id = configured_org(env, tmp_path, idp_key)
    run_json(env, "org", "provisioning", org_id, "on")

    created = run_json(env, "scim-token", "create", org_id)
    listed = run(env, "scim-token", "list", org_id, "--json")
    users = http.get(f"/scim/v2/{org_id}/Users", headers=bearer(created["token"]))

    assert set(created) == {"id", "token", "endpoint"}
    assert created["endpoint"] == f"{PUBLIC_URL}/scim/v2/{org_id}"
    assert created["token"] not in listed.stdout
    [token] = json.loads(listed.stdout)
    assert set(token) == TOKEN_KEYS
    assert token["id"] == created["id"]
    assert created["token"].endswith(token["hint"])
    assert users.status_code == 200
    assert users.json()["totalResults"] == 0


def test_revoked_scim_token_is_refused_over_http(
    env: dict[str, str], tmp_path: Path, idp_key: KeyPair, http: httpx.Client
) -> None:
    org_id = configured_org(env, tmp_path, idp_key)
    run_json(env, "org", "provisioning", org_id, "on")
    created = run_json(env, "scim-token", "create", org_id)

    revoked = run_json(env, "scim-token", "revoke", org_id, created["id"])
    users = http.get(f"/scim/v2/{org_id}/Users", headers=bearer(created["token"]))

    assert set(revoked) == TOKEN_KEYS
    assert revoked["revoked_at"] is not None
    assert users.status_code == 401
    assert_fails(run(env, "scim-token", "revoke", org_id, "tok_nope"), "no SCIM token")


def test_a_token_cannot_be_listed_or_revoked_through_another_org(
    env: dict[str, str],
) -> None:
    acme = create_org(env, "acme.com", name="Acme")
    globex = create_org(env, "globex.com", name="Globex")
    created = run_json(env, "scim-token", "create", acme)

    listed = run_json(env, "scim-token", "list", globex)
    result = run(env, "scim-token", "revoke", globex, created["id"])

    assert listed == []
    assert_fails(result, f"no SCIM token {created['id']!r} in this org")
    assert run_json(env, "scim-token", "list", acme)[0]["revoked_at"] is None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_link_prints_url_and_expiry(env: dict[str, str]) -> None:
    org_id = create_org(env, "example.com")

    data = run_json(env, "admin-link", org_id, "boss@example.com")

    assert set(data) == {"url", "expires_at"}
    assert data["url"].startswith(f"{PUBLIC_URL}/admin-link/")
    expires_at = datetime.fromisoformat(data["expires_at"])
    assert (
        timedelta(minutes=14) < expires_at - datetime.now(UTC) <= timedelta(minutes=15)
    )


def test_admin_link_refuses_a_bad_email(env: dict[str, str]) -> None:
    org_id = create_org(env, "example.com")

    result = run(env, "admin-link", org_id, "not-an-email", "--json")

    assert_fails(result, "is not an email address")


def test_commands_refuse_a_database_that_is_not_migrated(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = env | {"ROLLCALL_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}

    listed = run(env, "org", "list")
    served = run(env, "serve", "--port", "1")

    assert_fails(listed, "run `rollcall db upgrade` first")
    assert_fails(served, "run `rollcall db upgrade` first")


def test_db_upgrade_migrates_an_empty_database(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = env | {"ROLLCALL_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}

    upgraded = run(env, "db", "upgrade")

    assert upgraded.exit_code == 0
    assert run_json(env, "org", "list") == []


def test_unreachable_database_is_a_one_line_error(env: dict[str, str]) -> None:
    env = env | {"ROLLCALL_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}

    result = run(env, "org", "list", "--json")

    assert_fails(result, "the database cannot be used")
    assert "error" in json.loads(result.stdout)


def test_invalid_configuration_names_the_variable(env: dict[str, str]) -> None:
    result = run(env | {"ROLLCALL_ENVIRONMENT": "staging"}, "org", "list")

    assert_fails(result, "ROLLCALL_ENVIRONMENT")


def test_serve_refuses_a_placeholder_secret_in_production(env: dict[str, str]) -> None:
    env = env | {
        "ROLLCALL_ENVIRONMENT": "production",
        "ROLLCALL_SECRET_KEY": "changeme",
    }

    result = run(env, "serve", "--port", "1")

    assert_fails(result, "ROLLCALL_SECRET_KEY must be set")


def test_serve_refuses_the_development_idp(env: dict[str, str]) -> None:
    result = run(env | {"ROLLCALL_DEV_IDP_ENABLED": "true"}, "serve", "--port", "1")

    assert_fails(result, "is for `rollcall demo` only")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def process_group() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes started by a test; each is stopped with its group by its own id."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def start_rollcall(
    started: list[subprocess.Popen[bytes]],
    env: dict[str, str],
    tmp_path: Path,
    *args: str,
) -> tuple[subprocess.Popen[bytes], Path]:
    """``python -m rollcall ARGS`` in its own process group; output in a file."""
    log = tmp_path / "rollcall.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rollcall", *args],
            env=os.environ | env | {"ROLLCALL_LOG_LEVEL": "INFO"},
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started.append(process)
    return process, log


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer /healthz:\n{log.read_text()}")


@pytest.mark.slow
def test_serve_answers_without_dev_idp_and_stops_on_sigterm(
    env: dict[str, str],
    tmp_path: Path,
    process_group: list[subprocess.Popen[bytes]],
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, log = start_rollcall(
        process_group, env, tmp_path, "serve", "--port", str(port)
    )

    wait_until_healthy(base, process, log)
    ready = httpx.get(f"{base}/readyz", timeout=5)
    dev_idp = httpx.get(f"{base}/dev-idp/metadata", timeout=5)
    process.send_signal(signal.SIGTERM)

    assert ready.json() == {"status": "ready"}
    assert dev_idp.status_code == 404
    # Uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.wait(timeout=20) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in log.read_text()
    assert "color_message" not in log.read_text()


def printed(output: str, label: str) -> str:
    found = re.search(rf"^{label} +(\S+)", output, re.MULTILINE)
    assert found is not None, f"no {label!r} line in:\n{output}"
    return found.group(1)


@pytest.mark.slow
def test_demo_prepares_the_demo_org_prints_working_links_and_serves(
    env: dict[str, str],
    tmp_path: Path,
    process_group: list[subprocess.Popen[bytes]],
    request: pytest.FixtureRequest,
) -> None:
    """The demo reuses an existing "Demo Company" org rather than adding one."""
    key_file = devidp.key_path(Settings(database_url=env["ROLLCALL_DATABASE_URL"]))
    request.addfinalizer(lambda: key_file.unlink(missing_ok=True))
    existing = create_org(env, "demo.example.org", name="Demo Company")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo_env = {k: v for k, v in env.items() if k != "ROLLCALL_PUBLIC_URL"}
    process, log = start_rollcall(
        process_group, demo_env, tmp_path, "demo", "--port", str(port)
    )

    wait_until_healthy(base, process, log)
    output = log.read_text()
    endpoint = printed(output, "SCIM endpoint")
    token = printed(output, "SCIM token")
    users = httpx.get(f"{endpoint}/Users", headers=bearer(token), timeout=10)
    admin_page = httpx.get(printed(output, "Admin sign-in"), timeout=10)
    login = httpx.get(printed(output, "SSO sign-in"), timeout=10)
    orgs = [o for o in run_json(env, "org", "list") if o["name"] == "Demo Company"]

    assert "DEVELOPMENT IdP ENABLED" in output
    assert [o["id"] for o in orgs] == [existing]
    assert orgs[0]["domains"] == ["demo.example.org", "example.com"]
    assert orgs[0]["subscription_active"] and orgs[0]["provisioning_enabled"]
    assert orgs[0]["idp_entity_id"] == f"{base}/dev-idp/metadata"
    assert printed(output, "Dashboard") == f"{base}/orgs/{existing}/team"
    assert endpoint == f"{base}/scim/v2/{existing}"
    assert [u["userName"] for u in users.json()["Resources"]] == ["admin@example.com"]
    assert admin_page.status_code == 200
    assert login.status_code == 303
    assert login.headers["location"].startswith(f"{base}/dev-idp/sso?SAMLRequest=")


def test_demo_is_refused_in_production(env: dict[str, str]) -> None:
    result = run(env | {"ROLLCALL_ENVIRONMENT": "production"}, "demo")

    assert_fails(result, "refused when ROLLCALL_ENVIRONMENT=production")


def test_worker_factory_builds_the_app_from_the_environment(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --workers N`` hands uvicorn an import path; it must resolve."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    factory = import_from_string("rollcall.cli:app_from_environment")

    application = factory()
    try:
        with LiveServer(application) as live:
            ready = httpx.get(f"{live.url}/readyz", timeout=10)
    finally:
        application.state.engine.dispose()

    assert ready.json() == {"status": "ready"}
    assert application.state.settings.public_url == PUBLIC_URL
