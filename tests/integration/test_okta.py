"""Okta's provisioning requests (IDP-REQUESTS.md, "Okta"), over HTTP."""

from tests.factories import make_member
from tests.scim.conftest import (
    PATCH_SCHEMA,
    USER_SCHEMA,
    SCIMClient,
    Store,
    assert_scim_error,
    stored_member,
    user_body,
)

OKTA_HEADERS = {
    "User-Agent": "Okta SCIM Client 1.0.0",
    "Accept": "application/scim+json",
    "Accept-Charset": "utf-8",
    "Accept-Encoding": "gzip,deflate",
}


def test_okta_test_credentials_and_groups_probe(scim: SCIMClient) -> None:
    users = scim.get(
        "/Users", params={"startIndex": 1, "count": 2}, headers=OKTA_HEADERS
    )
    assert users.status_code == 200
    assert users.json()["totalResults"] == 0
    groups = scim.get("/Groups", headers=OKTA_HEADERS)
    assert groups.status_code == 200
    assert groups.json()["totalResults"] == 0


def test_okta_lookup_create_update_deactivate_reactivate(
    scim: SCIMClient, store: Store
) -> None:
    lookup = {"startIndex": 1, "count": 100}
    absent = scim.get(
        "/Users",
        params={"filter": 'userName eq "Okta.User@example.com"', **lookup},
        headers=OKTA_HEADERS,
    )
    assert absent.status_code == 200 and absent.json()["totalResults"] == 0

    body = user_body(
        "okta.user@example.com", password="Pa55word!", groups=[], active=True
    )
    created = scim.post(
        "/Users",
        body,
        headers={
            **OKTA_HEADERS,
            "Content-Type": "application/scim+json; charset=utf-8",
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert "password" not in user and "groups" not in user
    assert "Pa55word" not in created.text

    found = scim.get(
        "/Users",
        params={"filter": 'userName eq "OKTA.USER@EXAMPLE.COM"', **lookup},
    ).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == user["id"]

    path = f"/Users/{user['id']}"
    profile = user_body(
        "okta.user@example.com", name={"givenName": "Okta", "familyName": "U"}
    )
    assert scim.put(path, profile).json()["name"]["givenName"] == "Okta"

    deactivate = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    off = scim.patch(path, deactivate)
    assert off.status_code == 200, off.text
    assert off.json()["active"] is False
    assert stored_member(store, user["id"]).state == "deactivated"

    reactivate = {
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": True}}],
    }
    assert scim.patch(path, reactivate).json()["active"] is True
    assert stored_member(store, user["id"]).state == "reactivated"


def test_okta_existing_user_409_and_unknown_id_404(scim: SCIMClient) -> None:
    scim.create("taken@example.com")
    conflict = scim.post("/Users", user_body("Taken@Example.com"))
    assert_scim_error(conflict, 409, "uniqueness")
    assert_scim_error(scim.get("/Users/0101010010"), 404)


def test_okta_import_pages_by_100_with_integer_counts(
    scim: SCIMClient, store: Store
) -> None:
    with store() as db:
        for n in range(105):
            make_member(db, scim.org, f"member{n:03}@example.com")
    first = scim.get("/Users", params={"startIndex": 1, "count": 100}).json()
    second = scim.get("/Users", params={"startIndex": 101, "count": 100}).json()
    assert (first["totalResults"], first["itemsPerPage"]) == (105, 100)
    assert (second["startIndex"], second["itemsPerPage"]) == (101, 5)
    ids = [u["id"] for u in first["Resources"] + second["Resources"]]
    assert len(set(ids)) == 105
    assert first["Resources"][0]["schemas"] == [USER_SCHEMA]
