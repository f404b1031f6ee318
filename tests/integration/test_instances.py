"""Two Rollcall instances on one PostgreSQL database behave as one service.

Two server processes share the database and the secret key, as instances
behind a load balancer do, and the test alternates between them: a SAML
assertion accepted by one is a replay on the other, a deactivation written
through one ends a session held on the other, and a token's rate limit counts
the requests of both.
"""

import os
import time
from collections.abc import Iterator

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

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("ROLLCALL_TEST_DATABASE_URL"),
        reason="several instances share a PostgreSQL database",
    ),
]

RATE_LIMIT = 6
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    return generate_key_pair("idp.example.test")


class Org:
    """The org under test: its id, two tokens and its IdP."""

    def __init__(self, app: FastAPI, idp: TestIdP) -> None:
        with app.state.sessionmaker.begin() as db:
            org = make_org(db)
            orgs.configure_sso(db, org, parse_idp_metadata(idp.metadata()), OPERATOR)
            orgs.set_idp_initiated(db, org, True, OPERATOR)
            self.id = org.public_id
            self.token = make_token(db, org)
            self.spare_token = make_token(db, org)
        self.idp = idp

    def sign_in_form(self, email: str) -> dict[str, str]:
        xml = shapes.jumpcloud(self.idp, self.id, email)
        return {"SAMLResponse": assertions.encode(xml)}


@pytest.fixture(scope="module")
def instances(
    database_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Clients of two server processes on the run's PostgreSQL database (whose
    tables are emptied after each test), started once for this module."""
    env = server_environment(
        database_template, ROLLCALL_SCIM_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT)
    )
    logs = tmp_path_factory.mktemp("instances")
    with (
        ServerProcess(env, logs / "a.log") as a,
        ServerProcess(env, logs / "b.log") as b,
        httpx.Client(base_url=a.url) as client_a,
        httpx.Client(base_url=b.url) as client_b,
    ):
        yield client_a, client_b


def start_of_fresh_window(margin: float = 15.0) -> None:
    """Wait for the next rate-limit window if this one ends within ``margin``."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.1)


def test_assertion_accepted_by_one_instance_is_a_replay_on_the_other(
    app: FastAPI, idp_keys: KeyPair, instances: tuple[httpx.Client, httpx.Client]
) -> None:
    a, b = instances
    org = Org(app, TestIdP(idp_keys))
    form = org.sign_in_form("grace@example.com")

    first = a.post(f"/sso/{org.id}/acs", data=form)
    replay = b.post(f"/sso/{org.id}/acs", data=form)

    assert first.status_code == 303
    assert replay.status_code == 403
    assert "already used" in replay.text
    assert "rollcall_session" not in replay.cookies


def test_deactivation_through_one_instance_ends_a_session_on_the_other(
    app: FastAPI, idp_keys: KeyPair, instances: tuple[httpx.Client, httpx.Client]
) -> None:
    a, b = instances
    org = Org(app, TestIdP(idp_keys))
    bearer = {"Authorization": f"Bearer {org.token}"}
    users = f"/scim/v2/{org.id}/Users"
    signed_in = b.post(f"/sso/{org.id}/acs", data=org.sign_in_form("ada@example.com"))
    assert signed_in.status_code == 303
    assert b.get("/api/session").status_code == 200

    found = a.get(
        users, params={"filter": 'userName eq "ada@example.com"'}, headers=bearer
    )
    [member] = found.json()["Resources"]
    patch = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    deactivated = a.patch(f"{users}/{member['id']}", json=patch, headers=bearer)

    assert deactivated.status_code == 200
    assert deactivated.json()["active"] is False
    assert b.get("/api/session").status_code == 401
    assert b.get(f"{users}/{member['id']}", headers=bearer).json()["active"] is False


def test_a_tokens_rate_limit_counts_requests_to_both_instances(
    app: FastAPI, idp_keys: KeyPair, instances: tuple[httpx.Client, httpx.Client]
) -> None:
    a, b = instances
    org = Org(app, TestIdP(idp_keys))
    bearer = {"Authorization": f"Bearer {org.spare_token}"}
    users = f"/scim/v2/{org.id}/Users"
    start_of_fresh_window()

    allowed = [
        client.get(users, headers=bearer).status_code
        for client in (a, b) * (RATE_LIMIT // 2)
    ]
    over_a = a.get(users, headers=bearer)
    over_b = b.get(users, headers=bearer)

    assert allowed == [200] * RATE_LIMIT
    assert (over_a.status_code, over_b.status_code) == (429, 429)
    assert int(over_b.headers["retry-after"]) >= 1
    other_token = {"Authorization": f"Bearer {org.token}"}
    assert b.get(users, headers=other_token).status_code == 200


def test_a_member_created_through_one_instance_is_read_through_the_other(
    app: FastAPI, idp_keys: KeyPair, instances: tuple[httpx.Client, httpx.Client]
) -> None:
    a, b = instances
    org = Org(app, TestIdP(idp_keys))
    bearer = {"Authorization": f"Bearer {org.token}"}
    users = f"/scim/v2/{org.id}/Users"
    body = {"schemas": [USER_SCHEMA], "userName": "lin@example.com"}

    created = a.post(users, json=body, headers=bearer)
    read = b.get(f"{users}/{created.json()['id']}", headers=bearer)
    again = b.post(users, json=body, headers=bearer)

    assert created.status_code == 201
    assert read.status_code == 200
    assert read.json()["userName"] == "lin@example.com"
    assert again.status_code == 409
