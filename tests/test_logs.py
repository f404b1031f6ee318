"""Logs of a real server process: one JSON line per request, and no secrets.

A server started as operators start it (``rollcall serve``, JSON logs) is
driven through SCIM and SAML; its captured output must then hold one request
line per request, keyed by the id returned in ``X-Request-ID``, and none of the
token, cookie, SAML response or email addresses it handled.
"""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rollcall.domain import orgs
from rollcall.saml import assertions
from rollcall.saml.keys import KeyPair, generate_key_pair
from rollcall.saml.sp import parse_idp_metadata
from tests.factories import OPERATOR, make_org, make_token
from tests.integration.serverproc import ServerProcess, server_environment
from tests.saml import idp as shapes
from tests.saml.idp import TestIdP

pytestmark = pytest.mark.slow

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
REQUEST_FIELDS = {"request_id", "method", "route", "status", "duration_ms", "org"}


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return generate_key_pair("idp.example.test")


def json_lines(output: str) -> list[dict[str, Any]]:
    lines = [line for line in output.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def scim_run(client: httpx.Client, org_id: str, token: str) -> list[httpx.Response]:
    """An IdP's usual sequence: lookup, create, read, patch, plus a bad token."""
    users = f"/scim/v2/{org_id}/Users"
    bearer = {"Authorization": f"Bearer {token}"}
    email = "ada.secretive@example.com"
    body = {"schemas": [USER_SCHEMA], "userName": email, "active": True}
    lookup = client.get(
        users, params={"filter": f'userName eq "{email}"'}, headers=bearer
    )
    created = client.post(users, json=body, headers=bearer)
    member = f"{users}/{created.json()['id']}"
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    return [
        lookup,
        created,
        client.get(member, headers=bearer),
        client.patch(member, json=patch, headers=bearer),
        client.get(users, headers={"Authorization": "Bearer rcs_not-a-real-token"}),
    ]


def test_server_logs_one_json_line_per_request_and_no_secret(
    app: FastAPI, database_url: str, idp_keys: KeyPair, tmp_path: Path
) -> None:
    test_idp = TestIdP(idp_keys)
    with app.state.sessionmaker.begin() as db:
        org = make_org(db)
        orgs.configure_sso(db, org, parse_idp_metadata(test_idp.metadata()), OPERATOR)
        orgs.set_idp_initiated(db, org, True, OPERATOR)
        token, org_id = make_token(db, org), org.public_id
    xml = shapes.jumpcloud(test_idp, org_id, "grace.hidden@example.com")
    env = server_environment(database_url, ROLLCALL_LOG_FORMAT="json")

    with ServerProcess(env, tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.url) as client:
            sent = scim_run(client, org_id, token)
            form = {"SAMLResponse": assertions.encode(xml)}
            signed_in = client.post(f"/sso/{org_id}/acs", data=form)
            cookie = client.cookies.get("rollcall_session")
            sent += [signed_in, client.get("/api/session")]
            sent.append(client.post(f"/sso/{org_id}/acs", data=form))
        output = server.output()

    assert [r.status_code for r in sent] == [200, 201, 200, 200, 401, 303, 200, 403]
    records = json_lines(output)
    by_id: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.get("event") == "request":
            assert set(record) >= REQUEST_FIELDS, record
            by_id.setdefault(record["request_id"], []).append(record)
    for response in sent:
        [line] = by_id[response.headers["x-request-id"]]
        assert line["status"] == response.status_code
        assert line["method"] == response.request.method
        assert "{" in line["route"] or line["route"] == "/api/session"
    scim_lines = [by_id[r.headers["x-request-id"]][0] for r in sent[:4]]
    assert {line["org"] for line in scim_lines} == {org_id}

    assert cookie
    secrets = [
        token,
        token[4:24],
        "rcs_not-a-real-token",
        cookie,
        assertions.encode(xml)[:40],
        "ada.secretive@example.com",
        "grace.hidden@example.com",
    ]
    for secret in secrets:
        assert secret not in output, f"{secret[:6]}... appears in the server log"
