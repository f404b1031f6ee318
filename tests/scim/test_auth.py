"""Bearer tokens, org isolation and the 403s of orgs that may not use SCIM."""

import httpx
import pytest

from rollcall.domain import orgs
from tests.factories import OPERATOR, make_member, make_org, make_token
from tests.scim.conftest import (
    SCIMClient,
    Store,
    assert_scim_error,
    stored_member,
    user_body,
)

CHALLENGE = 'Bearer realm="rollcall"'


def _other_org(store: Store, http: httpx.Client, **options: bool) -> SCIMClient:
    with store() as db:
        org = make_org(db, name="Other Corp", domains=("example.org",), **options)
        token = make_token(db, org)
    return SCIMClient(http, org, token)


def _assert_challenge(response: httpx.Response) -> None:
    detail = assert_scim_error(response, 401)
    assert "bearer token" in detail
    assert response.headers["www-authenticate"] == CHALLENGE


def test_request_without_token_is_401_challenge(scim: SCIMClient) -> None:
    _assert_challenge(scim.http.get(scim.base + "/Users"))
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    _assert_challenge(scim.http.get(scim.base + "/Users", headers=basic))
    empty = {"Authorization": "Bearer"}
    _assert_challenge(scim.http.get(scim.base + "/Users", headers=empty))


def test_wrong_token_is_401(scim: SCIMClient) -> None:
    _assert_challenge(scim.get("/Users", token="rcs_not-a-real-token"))


def test_scheme_is_case_insensitive(scim: SCIMClient) -> None:
    headers = {"Authorization": f"bearer {scim.token}"}
    assert scim.http.get(scim.base + "/Users", headers=headers).status_code == 200
    headers = {"Authorization": f"BEARER {scim.token}"}
    assert scim.http.get(scim.base + "/Users", headers=headers).status_code == 200


def test_token_of_another_org_is_401(
    scim: SCIMClient, store: Store, http: httpx.Client
) -> None:
    other = _other_org(store, http)
    _assert_challenge(scim.get("/Users", token=other.token))
    _assert_challenge(other.get("/Users", token=scim.token))


def test_unknown_org_is_401_like_a_wrong_token(scim: SCIMClient) -> None:
    response = scim.http.get(
        "/scim/v2/0000000000000000/Users",
        headers={"Authorization": f"Bearer {scim.token}"},
    )
    _assert_challenge(response)


def test_revoked_token_is_401(scim: SCIMClient, store: Store) -> None:
    assert scim.get("/Users").status_code == 200
    with store() as db:
        token = orgs.list_tokens(db, scim.org)[0]
        orgs.revoke_token(db, scim.org, token.public_id, OPERATOR)
    _assert_challenge(scim.get("/Users"))


def test_org_cannot_read_or_change_another_orgs_members(
    scim: SCIMClient, store: Store, http: httpx.Client
) -> None:
    other = _other_org(store, http)
    theirs = other.create("bob@example.org")
    path = f"/Users/{theirs['id']}"

    assert_scim_error(scim.get(path), 404)
    assert_scim_error(scim.put(path, user_body("bob@example.org")), 404)
    body = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert_scim_error(scim.patch(path, body), 404)
    assert_scim_error(scim.delete(path), 404)
    listed = scim.get("/Users", params={"filter": 'userName eq "bob@example.org"'})
    assert listed.json()["totalResults"] == 0
    assert scim.get("/Users").json()["totalResults"] == 0

    assert stored_member(store, theirs["id"]).state == "provisioned"
    assert other.get(path).json()["active"] is True


def test_without_subscription_writes_are_403_and_reads_work(
    store: Store, http: httpx.Client
) -> None:
    lapsed = _other_org(store, http, subscription=False)
    with store() as db:
        make_member(db, lapsed.org, "ada@example.org")

    assert lapsed.get("/Users").json()["totalResults"] == 1
    detail = assert_scim_error(lapsed.post("/Users", user_body("bob@example.org")), 403)
    assert "subscription is not active" in detail


def test_provisioning_off_is_403_naming_the_switch(
    store: Store, http: httpx.Client
) -> None:
    off = _other_org(store, http, provisioning=False)
    detail = assert_scim_error(off.get("/Users"), 403)
    assert "provisioning is not enabled" in detail


def test_provisioning_off_without_sso_is_403_naming_sso(
    store: Store, http: httpx.Client
) -> None:
    bare = _other_org(store, http, sso=False, provisioning=False)
    detail = assert_scim_error(bare.get("/Users"), 403)
    assert "SAML single sign-on" in detail


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/Schemas", "/Groups"])
def test_every_scim_route_needs_the_token(scim: SCIMClient, path: str) -> None:
    _assert_challenge(scim.http.get(scim.base + path))


def test_token_is_not_echoed_in_errors(scim: SCIMClient) -> None:
    response = scim.get("/Users", token="rcs_guess-1234567890")
    assert "rcs_guess" not in response.text
