"""A SCIM client bound to one seeded org, over real HTTP to the live server."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall.storage.db import unit_of_work
from rollcall.storage.models import Member, Org
from tests.factories import make_org, make_token

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM_JSON = "application/scim+json"


class SCIMClient:
    """Sends requests to ``/scim/v2/{org}`` with the org's bearer token."""

    def __init__(self, http: httpx.Client, org: Org, token: str) -> None:
        self.http = http
        self.org = org
        self.token = token
        self.base = f"/scim/v2/{org.public_id}"

    def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        headers.update(kwargs.pop("headers", {}))
        return self.http.request(method, self.base + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, email: str, **attributes: Any) -> dict[str, Any]:
        """POST a user and return its body; the test fails unless it is a 201."""
        response = self.post("/Users", user_body(email, **attributes))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def user_body(email: str, **attributes: Any) -> dict[str, Any]:
    """A typical IdP create body for ``email``; keyword arguments override."""
    body: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }
    body.update(attributes)
    return body


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def assert_scim_error(
    response: httpx.Response, status: int, scim_type: str | None = None
) -> str:
    """Check a SCIM error response and return its detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert "Traceback" not in response.text
    detail: str = body["detail"]
    return detail


Store = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def store(app: FastAPI) -> Store:
    """Opens a committed unit of work on the app's database, one per ``with``:
    the server sees what a block wrote as soon as the block ends."""
    return lambda: unit_of_work(app.state.sessionmaker)


def stored_member(store: Store, scim_id: str) -> Member:
    """The member as the database holds it now."""
    with store() as db:
        member = db.scalar(select(Member).where(Member.scim_id == scim_id))
    assert member is not None
    return member


@pytest.fixture
def scim(store: Store, http: httpx.Client) -> SCIMClient:
    """An org (subscribed, SSO on, provisioning on, domain example.com) and a client."""
    with store() as db:
        org = make_org(db)
        token = make_token(db, org)
    return SCIMClient(http, org, token)
