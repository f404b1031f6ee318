"""Every SCIM request of an authenticated org lands in its provisioning log."""

import httpx
from fastapi import FastAPI
from sqlalchemy import Connection, event

from rollcall.domain import provisioning_log
from rollcall.domain.provisioning_log import RequestSummary
from tests.factories import make_org, make_token
from tests.scim.conftest import SCIMClient, Store, user_body


def _entries(store: Store, scim: SCIMClient) -> list[provisioning_log.Entry]:
    with store() as db:
        return list(reversed(provisioning_log.recent(db, scim.org)))


def test_requests_are_logged_with_operation_member_and_status(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"
    scim.get(path)
    scim.put(path, user_body("ada@example.com", active=False))
    scim.delete(path)
    listing = scim.get("/Users")

    entries = _entries(store, scim)
    assert [(e.method, e.operation, e.status) for e in entries] == [
        ("POST", "create", 201),
        ("GET", "get", 200),
        ("PUT", "replace", 200),
        ("DELETE", "delete", 204),
        ("GET", "list", 200),
    ]
    assert all(e.member_scim_id == created["id"] for e in entries[:4])
    assert entries[-1].member_scim_id is None
    assert entries[-1].request_id == listing.headers["x-request-id"]
    assert all(e.detail is None for e in entries)


def test_failures_are_logged_with_their_detail_though_the_request_rolled_back(
    scim: SCIMClient, store: Store
) -> None:
    scim.create("ada@example.com")
    conflict = scim.post("/Users", user_body("ADA@example.com"))
    off_domain = scim.post("/Users", user_body("eve@elsewhere.net"))

    failed = _entries(store, scim)[1:]
    assert [(e.operation, e.status) for e in failed] == [
        ("create", 409),
        ("create", 400),
    ]
    assert failed[0].detail == conflict.json()["detail"]
    assert failed[1].detail is not None and "example.com" in failed[1].detail
    assert off_domain.status_code == 400


def test_oversized_body_of_an_authenticated_org_is_logged_as_413(
    scim: SCIMClient, store: Store, app: FastAPI
) -> None:
    limit = app.state.settings.scim_max_body_bytes
    body = user_body("ada@example.com", title="x" * limit)
    assert scim.post("/Users", body).status_code == 413
    assert scim.post("/Users", body, token="rcs_wrong").status_code == 401

    entries = _entries(store, scim)
    assert [(e.operation, e.status) for e in entries] == [("create", 413)]
    assert entries[0].detail is not None and str(limit) in entries[0].detail


def test_log_holds_no_token_or_password(scim: SCIMClient, store: Store) -> None:
    scim.post("/Users", user_body("ada@example.com", password="Sup3r-secret!"))
    scim.post("/Users", user_body("ada@example.com", password="Sup3r-secret!"))
    for entry in _entries(store, scim):
        text = repr(vars(entry))
        assert scim.token not in text
        assert "Sup3r" not in text


def test_unauthenticated_requests_are_not_logged(
    scim: SCIMClient, store: Store
) -> None:
    scim.get("/Users", token="rcs_wrong")
    assert _entries(store, scim) == []


def test_log_is_pruned_to_the_kept_number(scim: SCIMClient, store: Store) -> None:
    keep = 10
    summary = RequestSummary("r", "GET", "list", None, 200, None)
    with store() as db:
        for _ in range(provisioning_log.PRUNE_EVERY * 2):
            provisioning_log.record_request(db, scim.org.id, summary, keep=keep)
    with store() as db:
        kept = provisioning_log.recent(db, scim.org, limit=1000)
    assert keep <= len(kept) < keep + provisioning_log.PRUNE_EVERY


def test_provisioning_log_keep_setting_applies_to_requests(
    scim: SCIMClient, store: Store, app: FastAPI
) -> None:
    app.state.settings.provisioning_log_keep = 10
    for _ in range(provisioning_log.PRUNE_EVERY + 1):
        scim.get("/Users", params={"count": "0"})
    assert len(_entries(store, scim)) < provisioning_log.PRUNE_EVERY


def test_refusal_for_a_lapsed_subscription_is_logged(
    store: Store, http: httpx.Client
) -> None:
    with store() as db:
        org = make_org(db, subscription=False)
        lapsed = SCIMClient(http, org, make_token(db, org))
    lapsed.post("/Users", user_body("ada@example.com"))

    entries = _entries(store, lapsed)
    assert [(e.operation, e.status) for e in entries] == [("create", 403)]
    assert entries[0].detail is not None and "subscription" in entries[0].detail


def test_a_successful_request_commits_once_with_its_log_entry(
    scim: SCIMClient, store: Store, app: FastAPI
) -> None:
    """The entry of a request that succeeds is part of the request's own
    transaction: one commit per request, not one more for the log."""
    app.state.settings.scim_rate_limit_per_minute = 0
    created = scim.create("ada@example.com")
    commits: list[int] = []

    def count_commit(_connection: Connection) -> None:
        commits.append(1)

    event.listen(app.state.engine, "commit", count_commit)
    try:
        response = scim.get(f"/Users/{created['id']}")
    finally:
        event.remove(app.state.engine, "commit", count_commit)

    assert response.status_code == 200
    assert len(commits) == 1
    last = _entries(store, scim)[-1]
    assert (last.operation, last.status, last.member_scim_id) == (
        "get",
        200,
        created["id"],
    )
