"""Operations: Prometheus metrics over a live server, and their label hygiene."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from rollcall import metrics
from rollcall.app import create_app
from rollcall.config import Settings
from rollcall.domain import orgs
from rollcall.saml.keys import KeyPair, generate_key_pair
from rollcall.saml.sp import parse_idp_metadata
from rollcall.storage.models import RateCounter
from tests.conftest import LiveServer
from tests.factories import OPERATOR, make_org, make_token
from tests.integration.serverproc import ServerProcess, server_environment
from tests.saml import idp as shapes
from tests.saml.idp import TestIdP, post_acs


def scrape(
    client: httpx.Client,
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics and index every sample by name and sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            samples[key] = sample.value
    return samples


def requests_total(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float],
    route: str,
    status: str,
    method: str = "GET",
) -> float:
    labels = (("method", method), ("route", route), ("status", status))
    return samples.get(("rollcall_http_requests_total", labels), 0.0)


def test_metrics_count_requests_by_route_template_and_status(
    http: httpx.Client,
) -> None:
    for _ in range(3):
        assert http.get("/healthz").status_code == 200
    assert http.get("/no/such/page/secret-looking-value").status_code == 404

    samples = scrape(http)

    assert requests_total(samples, "/healthz", "200") == 3
    assert requests_total(samples, "unmatched", "404") == 1
    assert not any("secret-looking-value" in str(key) for key in samples)


def test_metrics_time_requests_in_a_histogram(http: httpx.Client) -> None:
    http.get("/healthz")
    http.get("/readyz")

    samples = scrape(http)

    count_key = (
        "rollcall_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/readyz")),
    )
    sum_key = (
        "rollcall_http_request_duration_seconds_sum",
        (("method", "GET"), ("route", "/readyz")),
    )
    assert samples[count_key] == 1
    assert 0 < samples[sum_key] < 10


def test_unknown_http_method_is_labelled_other(http: httpx.Client) -> None:
    http.request("BREW", "/healthz")

    samples = scrape(http)

    assert not any("BREW" in str(key) for key in samples)
    assert any(
        name == "rollcall_http_requests_total" and ("method", "OTHER") in labels
        for name, labels in samples
    )


def test_each_app_counts_only_its_own_requests(
    http: httpx.Client, settings: Settings
) -> None:
    for _ in range(4):
        http.get("/healthz")
    other_app = create_app(settings)

    with LiveServer(other_app) as other, httpx.Client(base_url=other.url) as client:
        other_samples = scrape(client)
    other_app.state.engine.dispose()

    assert requests_total(scrape(http), "/healthz", "200") == 4
    assert requests_total(other_samples, "/healthz", "200") == 0


def test_count_scim_labels_by_operation_and_status_class_only() -> None:
    registry_owner = metrics.Metrics()
    token = metrics.current_metrics.set(registry_owner)
    try:
        metrics.count_scim("create", 201)
        metrics.count_scim("create", 409)
        metrics.count_scim("create", 409)
        metrics.count_scim("ada@example.com", 200)
    finally:
        metrics.current_metrics.reset(token)

    def value(operation: str, outcome: str) -> float | None:
        return registry_owner.registry.get_sample_value(
            "rollcall_scim_operations_total",
            {"operation": operation, "outcome": outcome},
        )

    assert value("create", "2xx") == 1
    assert value("create", "4xx") == 2
    assert value("other", "2xx") == 1
    assert "ada@example.com" not in registry_owner.render()[0].decode()


def test_count_sign_in_by_outcome_and_reason() -> None:
    registry_owner = metrics.Metrics()
    token = metrics.current_metrics.set(registry_owner)
    try:
        metrics.count_sign_in(True, "jit")
        metrics.count_sign_in(False, "replay")
        metrics.count_sign_in(False, "replay")
        metrics.count_sign_in(False, "<saml:Assertion ID='x'>")
        metrics.count_rate_limited()
    finally:
        metrics.current_metrics.reset(token)

    def value(outcome: str, reason: str) -> float | None:
        return registry_owner.registry.get_sample_value(
            "rollcall_saml_sign_ins_total", {"outcome": outcome, "reason": reason}
        )

    assert value("accepted", "jit") == 1
    assert value("refused", "replay") == 2
    assert value("refused", "other") == 1
    limited = registry_owner.registry.get_sample_value(
        "rollcall_scim_rate_limited_total", {}
    )
    assert limited == 1


def test_counting_outside_a_request_does_nothing() -> None:
    assert metrics.current() is None
    metrics.count_scim("create", 201)
    metrics.count_sign_in(False, "replay")


def test_metrics_of_worker_processes_are_summed_in_multiprocess_mode(
    tmp_path: Path,
) -> None:
    """Several workers, one /metrics: each process writes its own file and any
    process's exposition sums them."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    worker = (
        "from rollcall import metrics\n"
        "m = metrics.Metrics()\n"
        "token = metrics.current_metrics.set(m)\n"
        "for _ in range({n}): metrics.count_scim('patch', 200)\n"
    )
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", worker.format(n=n)], env=env, check=True)
    reader = (
        "from rollcall import metrics\nprint(metrics.Metrics().render()[0].decode())\n"
    )

    output = subprocess.run(
        [sys.executable, "-c", reader],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    line = 'rollcall_scim_operations_total{operation="patch",outcome="2xx"} 7.0'
    assert line in output


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_ops_endpoints_need_no_credentials(http: httpx.Client, path: str) -> None:
    assert http.get(path).status_code == 200


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return generate_key_pair("idp.example.test")


def test_saml_sign_ins_are_counted_by_outcome_and_reason(
    app: FastAPI, http: httpx.Client, idp_keys: KeyPair
) -> None:
    test_idp = TestIdP(idp_keys)
    with app.state.sessionmaker.begin() as db:
        org = make_org(db, sso=False, provisioning=False)
        idp = parse_idp_metadata(test_idp.metadata())
        orgs.configure_sso(db, org, idp, OPERATOR)
        org_id = org.public_id
    xml = shapes.jumpcloud(test_idp, org_id, "grace@example.com", None)
    with app.state.sessionmaker.begin() as db:
        orgs.set_idp_initiated(db, orgs.get_org(db, org_id), True, OPERATOR)

    assert post_acs(http, org_id, xml).status_code == 303
    assert post_acs(http, org_id, xml).status_code == 403

    samples = scrape(http)
    accepted = (("outcome", "accepted"), ("reason", "ok"))
    replayed = (("outcome", "refused"), ("reason", "replay"))
    assert samples[("rollcall_saml_sign_ins_total", accepted)] == 1
    assert samples[("rollcall_saml_sign_ins_total", replayed)] == 1


def start_of_fresh_window(margin: float = 5.0) -> None:
    """Wait for the next rate-limit window if this one ends within ``margin``."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.1)


@pytest.fixture
def limited_app(settings: Settings) -> Iterator[FastAPI]:
    """An app whose SCIM tokens may each send 3 requests a minute."""
    limited = create_app(settings.model_copy(update={"scim_rate_limit_per_minute": 3}))
    yield limited
    limited.state.engine.dispose()


def test_scim_token_over_its_limit_gets_429_with_retry_after(
    limited_app: FastAPI,
) -> None:
    with limited_app.state.sessionmaker.begin() as db:
        org = make_org(db)
        token, other_token = make_token(db, org), make_token(db, org)
        users = f"/scim/v2/{org.public_id}/Users"
    start_of_fresh_window()

    with LiveServer(limited_app) as live, httpx.Client(base_url=live.url) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        statuses = [client.get(users, headers=bearer).status_code for _ in range(3)]
        refused = client.get(users, headers=bearer)
        other = client.get(users, headers={"Authorization": f"Bearer {other_token}"})
        samples = scrape(client)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/scim+json")
    assert refused.json()["status"] == "429"
    assert "retry after" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert other.status_code == 200
    assert samples[("rollcall_scim_rate_limited_total", ())] == 1
    list_4xx = (("operation", "list"), ("outcome", "4xx"))
    assert samples[("rollcall_scim_operations_total", list_4xx)] == 1


def test_rate_limit_zero_lets_every_request_through(
    settings: Settings,
) -> None:
    unlimited = create_app(
        settings.model_copy(update={"scim_rate_limit_per_minute": 0})
    )
    with unlimited.state.sessionmaker.begin() as db:
        org = make_org(db)
        bearer = {"Authorization": f"Bearer {make_token(db, org)}"}
        users = f"/scim/v2/{org.public_id}/Users"

    with LiveServer(unlimited) as live, httpx.Client(base_url=live.url) as client:
        statuses = {client.get(users, headers=bearer).status_code for _ in range(5)}
    with unlimited.state.sessionmaker.begin() as db:
        counters = db.scalar(select(func.count()).select_from(RateCounter))
    unlimited.state.engine.dispose()

    assert statuses == {200}
    assert counters == 0


def test_serve_with_two_workers_sums_both_in_metrics(
    database_url: str, tmp_path: Path
) -> None:
    samples_dir = tmp_path / "samples"
    samples_dir.mkdir()
    env = server_environment(database_url, PROMETHEUS_MULTIPROC_DIR=str(samples_dir))
    server = ServerProcess(env, tmp_path / "server.log", workers=2)

    with server:
        for _ in range(5):
            with httpx.Client(base_url=server.url) as client:
                for _ in range(6):
                    client.get("/healthz")
        with httpx.Client(base_url=server.url) as client:
            samples = scrape(client)

    assert requests_total(samples, "/healthz", "200") == 30
    writers = {path.name.rsplit("_", 1)[-1] for path in samples_dir.glob("*.db")}
    assert len(writers) >= 2, "each worker keeps its samples in the directory"


def test_several_workers_get_a_fresh_samples_directory_unless_one_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(metrics.MULTIPROCESS_ENV, raising=False)
    metrics.prepare_worker_processes(1)
    assert metrics.MULTIPROCESS_ENV not in os.environ

    metrics.prepare_worker_processes(4)
    made = Path(os.environ[metrics.MULTIPROCESS_ENV])
    assert made.is_dir() and not any(made.iterdir())
    made.rmdir()

    monkeypatch.setenv(metrics.MULTIPROCESS_ENV, str(tmp_path))
    metrics.prepare_worker_processes(4)
    assert os.environ[metrics.MULTIPROCESS_ENV] == str(tmp_path)
