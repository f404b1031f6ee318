"""Requests the service cannot read answer a clear 400 in their protocol's
format, and an unexpected failure still answers inside the request-id scope."""

import io
import logging
import re

import httpx
import pytest
import structlog
from fastapi import FastAPI

from rollcall.deps import DbSession
from rollcall.storage import queries
from tests.factories import make_org

NUL_PATHS = [
    "/sso/{org}%00/metadata",
    "/sso/{org}%00/login",
    "/sso/{org}/login?next=%2F%00",
    "/orgs/{org}%00/team",
    "/orgs/{org}/team?q=a%00b",
    "/orgs/{org}/logs?outcome=%00",
    "/admin-link/abc%00def",
    "/sign-in?org=%00",
]
BAD_UTF8 = ["/sso/%ff%fe/metadata", "/orgs/{org}/team?q=%ed%a0%80", "/sign-in?org=%c3"]


@pytest.fixture
def org_id(db: DbSession) -> str:
    org = make_org(db)
    db.commit()
    return org.public_id


@pytest.mark.parametrize("path", NUL_PATHS + BAD_UTF8)
def test_nul_or_bad_utf8_in_path_or_query_is_a_readable_400_page(
    http: httpx.Client, org_id: str, path: str
) -> None:
    answer = http.get(path.format(org=org_id))

    assert answer.status_code == 400
    assert "text/html" in answer.headers["content-type"]
    assert "cannot be read" in answer.text
    assert answer.headers["x-request-id"]


def test_nul_in_acs_path_is_a_readable_400_page(
    http: httpx.Client, org_id: str
) -> None:
    answer = http.post(f"/sso/{org_id}%00/acs", data={"SAMLResponse": "x"})

    assert answer.status_code == 400
    assert "text/html" in answer.headers["content-type"]


@pytest.mark.parametrize(
    "path", ["/scim/v2/{org}%00/Users", "/scim/v2/{org}/Users?filter=userName%00"]
)
def test_nul_under_scim_is_a_scim_json_400(
    http: httpx.Client, org_id: str, path: str
) -> None:
    answer = http.get(path.format(org=org_id), headers={"Authorization": "Bearer x"})

    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/scim+json")
    body = answer.json()
    assert body["status"] == "400"
    assert "urn:ietf:params:scim:api:messages:2.0:Error" in body["schemas"]


def test_a_value_the_database_cannot_store_is_a_400_not_a_500(
    app: FastAPI, http: httpx.Client, db: DbSession
) -> None:
    """A NUL that reaches PostgreSQL through a form body raises DataError; it is
    answered as invalid input. (SQLite stores NUL, so there it is found or not.)"""

    @app.post("/test-only/lookup")
    def lookup(db: DbSession) -> dict[str, bool]:
        return {"found": queries.get_member_by_email(db, 1, "a\x00b") is not None}

    answer = http.post("/test-only/lookup")

    if db.get_bind().dialect.name == "postgresql":
        assert answer.status_code == 400
        assert "cannot be stored" in answer.text
    else:
        assert answer.status_code == 200
        assert answer.json() == {"found": False}


def test_unexpected_error_answers_500_with_request_id_and_logs_it(
    app: FastAPI, http: httpx.Client
) -> None:
    @app.get("/test-only/boom")
    def boom() -> None:
        raise RuntimeError("boom with password=hunter2")

    logged = io.StringIO()
    [handler] = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    ]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(logged)

    answer = http.get("/test-only/boom")

    assert answer.status_code == 500
    request_id = answer.headers["x-request-id"]
    assert "Something went wrong" in answer.text
    assert "hunter2" not in answer.text
    [line] = [ln for ln in logged.getvalue().splitlines() if "unhandled error" in ln]
    assert re.search(rf"request_id={request_id}\b", line)


def test_database_errors_never_carry_statement_parameters(app: FastAPI) -> None:
    """A logged database error must not hold values a client sent."""
    assert app.state.engine.hide_parameters is True
