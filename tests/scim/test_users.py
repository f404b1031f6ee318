"""/Users over real HTTP: create, read, list, replace, patch, delete."""

from fastapi import FastAPI
from sqlalchemy import select

from rollcall.domain import members
from rollcall.domain.audit import Actor
from rollcall.storage.models import Member, MemberState
from tests.factories import make_member
from tests.scim.conftest import (
    ENTERPRISE_SCHEMA,
    LIST_SCHEMA,
    SCIM_JSON,
    USER_SCHEMA,
    SCIMClient,
    Store,
    assert_scim_error,
    patch_body,
    stored_member,
    user_body,
)


def test_post_creates_provisioned_member_and_answers_201_with_location(
    scim: SCIMClient, store: Store
) -> None:
    response = scim.post("/Users", user_body("ada@example.com", externalId="ext-1"))

    assert response.status_code == 201
    assert response.headers["content-type"].startswith(SCIM_JSON)
    user = response.json()
    location = f"http://127.0.0.1{scim.base}/Users/{user['id']}"
    assert response.headers["location"] == location
    assert user["meta"]["location"] == location
    assert user["userName"] == "ada@example.com"
    assert user["externalId"] == "ext-1"
    assert user["active"] is True
    assert user["name"] == {
        "givenName": "Ada",
        "familyName": "Lovelace",
        "formatted": "Ada Lovelace",
    }
    assert user["emails"] == [
        {"value": "ada@example.com", "type": "work", "primary": True}
    ]
    assert user["userType"] == "member"
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["created"].endswith("Z")
    assert user["meta"]["version"] == response.headers["etag"]
    assert stored_member(store, user["id"]).state == MemberState.PROVISIONED


def test_post_keeps_email_as_given_and_ignores_password_groups_user_type(
    scim: SCIMClient, store: Store
) -> None:
    body = user_body(
        "Grace.Hopper@Example.com",
        password="hunter2-secret",
        groups=[],
        userType="owner",
        id="chosen-by-client",
        meta={"version": 'W/"99"'},
    )
    user = scim.post("/Users", body).json()

    assert user["userName"] == "Grace.Hopper@Example.com"
    assert user["id"] != "chosen-by-client"
    assert user["userType"] == "member"
    assert "password" not in user and "groups" not in user
    assert "hunter2" not in str(user)
    assert stored_member(store, user["id"]).role == "member"


def test_post_with_active_false_creates_deactivated_member(
    scim: SCIMClient, store: Store
) -> None:
    user = scim.create("ada@example.com", active=False)
    assert user["active"] is False
    assert stored_member(store, user["id"]).state == MemberState.DEACTIVATED


def test_post_accepts_pascal_case_attribute_names(scim: SCIMClient) -> None:
    body = {
        "schemas": [USER_SCHEMA],
        "UserName": "user2@example.com",
        "Active": True,
        "Name": {"GivenName": "User", "FamilyName": "Two"},
        "Emails": [{"Primary": True, "Type": "work", "Value": "user2@example.com"}],
        "DisplayName": "User Two",
    }
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["userName"] == "user2@example.com"
    assert user["name"]["givenName"] == "User"
    assert user["displayName"] == "User Two"


def test_post_ignores_unknown_and_enterprise_attributes(scim: SCIMClient) -> None:
    body = user_body(
        "ada@example.com",
        schemas=[USER_SCHEMA, ENTERPRISE_SCHEMA],
        title="Engineer",
        locale="en-US",
        phoneNumbers=[{"value": "tel:+1-555-555-0100", "type": "work"}],
        addresses=[{"type": "work", "country": "US"}],
        **{ENTERPRISE_SCHEMA: {"department": "R&D"}},
    )
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert "title" not in user and "phoneNumbers" not in user
    assert ENTERPRISE_SCHEMA not in user


def test_post_primary_email_is_the_one_marked_primary(scim: SCIMClient) -> None:
    body = user_body(
        "ada@example.com",
        emails=[
            {"value": "other@example.com", "type": "home"},
            {"value": "ADA@example.com", "type": "work", "primary": "True"},
        ],
    )
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.text


def test_post_without_user_schema_is_refused(scim: SCIMClient, store: Store) -> None:
    body = user_body("ada@example.com", schemas=["urn:example:unknown"])
    assert_scim_error(scim.post("/Users", body), 400, "invalidValue")
    missing = user_body("ada@example.com")
    del missing["schemas"]
    assert_scim_error(scim.post("/Users", missing), 400, "invalidSyntax")
    with store() as db:
        assert db.scalar(select(Member)) is None


def test_post_accepts_scim_1_core_schema(scim: SCIMClient) -> None:
    body = user_body("ada@example.com", schemas=["urn:scim:schemas:core:1.0"])
    assert scim.post("/Users", body).status_code == 201


def test_post_with_wrong_types_answers_invalid_value(scim: SCIMClient) -> None:
    for override in (
        {"userName": 5},
        {"name": "x"},
        {"active": "maybe"},
        {"emails": "ada@example.com"},
        {"emails": [{"value": 7}]},
        {"displayName": ["x"]},
        {"externalId": {"a": 1}},
    ):
        response = scim.post("/Users", user_body("ada@example.com", **override))
        assert_scim_error(response, 400, "invalidValue")


def test_get_returns_user_and_unknown_id_is_404(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com")
    response = scim.get(f"/Users/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["etag"] == created["meta"]["version"]

    detail = assert_scim_error(scim.get("/Users/0101010010"), 404)
    assert "0101010010" in detail


def test_member_who_joined_by_sso_is_visible_to_scim(
    scim: SCIMClient, store: Store
) -> None:
    with store() as db:
        members.sign_in(db, scim.org, "jit@example.com", "J", "I", Actor("sso", "x"))
    found = scim.get("/Users", params={"filter": 'userName eq "jit@example.com"'})
    assert found.json()["totalResults"] == 1
    assert found.json()["Resources"][0]["active"] is True


def test_put_replaces_names_and_keeps_active_and_external_id_when_left_out(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("ada@example.com", displayName="Ada L", externalId="e1")
    body = {
        "schemas": [USER_SCHEMA],
        "id": created["id"],
        "userName": "ada@example.com",
        "name": {"givenName": "New", "familyName": "Name"},
        "emails": None,
    }
    response = scim.put(f"/Users/{created['id']}", body)

    assert response.status_code == 200, response.text
    user = response.json()
    assert user["name"] == {
        "givenName": "New",
        "familyName": "Name",
        "formatted": "New Name",
    }
    assert user["active"] is True
    assert "displayName" not in user
    assert user["externalId"] == "e1"
    assert user["emails"][0]["value"] == "ada@example.com"
    assert user["meta"]["version"] != created["meta"]["version"]
    assert stored_member(store, created["id"]).given_name == "New"


def test_put_active_false_then_true_deactivates_and_reactivates(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"

    off = scim.put(path, user_body("ada@example.com", active=False))
    assert off.json()["active"] is False
    assert stored_member(store, created["id"]).state == MemberState.DEACTIVATED
    assert scim.get(path).json()["active"] is False

    on = scim.put(path, user_body("ada@example.com", active="TRUE"))
    assert on.json()["active"] is True
    assert stored_member(store, created["id"]).state == MemberState.REACTIVATED


def test_patch_answers_full_resource(scim: SCIMClient, store: Store) -> None:
    created = scim.create("ada@example.com")
    body = patch_body(
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "replace", "path": "name.givenName", "value": "Augusta"},
    )
    response = scim.patch(f"/Users/{created['id']}", body)

    assert response.status_code == 200, response.text
    user = response.json()
    assert user["active"] is False
    assert user["name"]["givenName"] == "Augusta"
    assert user["userName"] == "ada@example.com"
    assert response.headers["etag"] == user["meta"]["version"]
    assert stored_member(store, created["id"]).state == MemberState.DEACTIVATED


def test_delete_answers_204_then_user_is_gone(scim: SCIMClient, store: Store) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"

    response = scim.delete(path)
    assert response.status_code == 204
    assert response.content == b""
    assert_scim_error(scim.get(path), 404)
    assert_scim_error(scim.delete(path), 404)
    assert scim.get("/Users").json()["totalResults"] == 0
    assert stored_member(store, created["id"]).state == MemberState.DEPROVISIONED


def test_post_of_deprovisioned_email_restores_same_id(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com")
    scim.delete(f"/Users/{created['id']}")

    again = scim.post("/Users", user_body("ADA@example.com", active=False))
    assert again.status_code == 201, again.text
    assert again.json()["id"] == created["id"]
    assert again.json()["active"] is False


def test_post_of_existing_email_in_other_case_is_409_and_member_unchanged(
    scim: SCIMClient, store: Store
) -> None:
    with store() as db:
        member = make_member(db, scim.org, "ada@example.com", given="Ada")
    body = user_body("ADA@EXAMPLE.COM", name={"givenName": "Mallory"})
    detail = assert_scim_error(scim.post("/Users", body), 409, "uniqueness")
    assert "already exists" in detail
    assert stored_member(store, member.scim_id).given_name == "Ada"


def test_list_answers_list_response_with_integers(scim: SCIMClient) -> None:
    empty = scim.get("/Users")
    assert empty.status_code == 200
    assert empty.json() == {
        "schemas": [LIST_SCHEMA],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }
    scim.create("ada@example.com")
    listed = scim.get("/Users", params={"startIndex": "1", "count": "100"}).json()
    assert listed["totalResults"] == 1
    assert listed["itemsPerPage"] == 1
    assert listed["Resources"][0]["userName"] == "ada@example.com"


def test_list_pages_in_stable_order_with_clamped_parameters(
    scim: SCIMClient, store: Store
) -> None:
    with store() as db:
        for n in range(5):
            make_member(db, scim.org, f"user{n}@example.com")

    def page(**params: object) -> dict[str, object]:
        response = scim.get("/Users", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    first, second, third = (page(startIndex=s, count=2) for s in (1, 3, 5))
    names = [
        r["userName"]  # type: ignore[index]
        for p in (first, second, third)
        for r in p["Resources"]  # type: ignore[attr-defined]
    ]
    assert names == [f"user{n}@example.com" for n in range(5)]
    assert third["itemsPerPage"] == 1 and third["startIndex"] == 5

    below = page(startIndex=-3, count=1)
    assert below["startIndex"] == 1 and below["itemsPerPage"] == 1
    none = page(count=-1)
    assert none["totalResults"] == 5 and none["Resources"] == []
    assert none["itemsPerPage"] == 0
    past = page(startIndex=50)
    assert past["totalResults"] == 5 and past["Resources"] == []


def test_list_count_is_capped_and_defaults_to_page_size(
    scim: SCIMClient, store: Store, app: FastAPI
) -> None:
    with store() as db:
        for n in range(3):
            make_member(db, scim.org, f"user{n}@example.com")
    app.state.settings.scim_max_page_size = 2

    capped = scim.get("/Users", params={"count": "100000"}).json()
    assert capped["itemsPerPage"] == 2 and capped["totalResults"] == 3
    assert scim.get("/Users").json()["itemsPerPage"] == 2


def test_list_refuses_non_integer_paging(scim: SCIMClient) -> None:
    for params in ({"count": "ten"}, {"startIndex": "1.5"}):
        detail = assert_scim_error(
            scim.get("/Users", params=params), 400, "invalidValue"
        )
        assert "integer" in detail


def test_list_filter_by_username_ignores_case_and_keeps_plus(
    scim: SCIMClient,
) -> None:
    scim.create("user+qa@example.com")
    scim.create("user@example.com")
    found = scim.http.get(
        scim.base + "/Users?filter=userName+eq+%22USER%2Bqa%40example.com%22",
        headers={"Authorization": f"Bearer {scim.token}"},
    ).json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["userName"] == "user+qa@example.com"


def test_list_filter_too_long_or_unknown_is_invalid_filter(scim: SCIMClient) -> None:
    long_filter = 'userName eq "' + "a" * 5000 + '@example.com"'
    too_long = scim.get("/Users", params={"filter": long_filter})
    assert_scim_error(too_long, 400, "invalidFilter")
    bad = scim.get("/Users", params={"filter": "userName eq"})
    assert_scim_error(bad, 400, "invalidFilter")


def test_search_endpoint_takes_filter_and_paging_in_body(scim: SCIMClient) -> None:
    scim.create("ada@example.com")
    scim.create("bob@example.com")
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName eq "bob@example.com"',
        "startIndex": 1,
        "count": 10,
        "attributes": ["userName"],
    }
    response = scim.post("/Users/.search", body)
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["totalResults"] == 1
    assert set(found["Resources"][0]) == {"schemas", "id", "userName"}


def test_attributes_and_excluded_attributes_select_output(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com", externalId="e1")
    path = f"/Users/{created['id']}"

    only = scim.get(
        path,
        params={"attributes": "userName,name.givenName,meta.location,EMAILS.value"},
    ).json()
    assert only == {
        "schemas": [USER_SCHEMA],
        "id": created["id"],
        "userName": "ada@example.com",
        "name": {"givenName": "Ada"},
        "emails": [{"value": "ada@example.com"}],
        "meta": {"location": created["meta"]["location"]},
    }
    urn = scim.get(path, params={"attributes": f"{USER_SCHEMA}:externalId"}).json()
    assert set(urn) == {"schemas", "id", "externalId"}

    without = scim.get(
        "/Users", params={"excludedAttributes": "emails,meta.version,id,name"}
    ).json()["Resources"][0]
    assert "emails" not in without and "name" not in without
    assert without["id"] == created["id"]
    assert "version" not in without["meta"] and "created" in without["meta"]


def test_put_with_external_id_null_clears_it(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com", externalId="e1")
    body = user_body("ada@example.com", externalId=None)
    replaced = scim.put(f"/Users/{created['id']}", body).json()
    assert "externalId" not in replaced


def test_huge_start_index_answers_an_empty_page(scim: SCIMClient) -> None:
    scim.create("ada@example.com")
    for params in (
        {"startIndex": "99999999999999999999"},
        {"startIndex": "99999999999999999999", "filter": "userName pr"},
        {"startIndex": "9223372036854775808", "sortBy": "userName"},
    ):
        response = scim.get("/Users", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["totalResults"] == 1
        assert response.json()["Resources"] == []


def test_paging_numbers_must_be_plain_integers(scim: SCIMClient) -> None:
    for value in ("1_0", "0x10", "1e3", "١٢"):
        response = scim.get("/Users", params={"count": value})
        assert_scim_error(response, 400, "invalidValue")


def test_sort_by_and_sort_order_order_the_list(scim: SCIMClient) -> None:
    for given in ("Bea", "Ada", "Cy"):
        scim.create(f"{given.lower()}@example.com", name={"givenName": given})

    def given_names(**params: str) -> list[str]:
        response = scim.get("/Users", params=params)
        assert response.status_code == 200, response.text
        return [r["name"]["givenName"] for r in response.json()["Resources"]]

    assert given_names(sortBy="name.givenName") == ["Ada", "Bea", "Cy"]
    assert given_names(sortBy="NAME.GIVENNAME", sortOrder="Descending") == [
        "Cy",
        "Bea",
        "Ada",
    ]
    assert given_names(sortBy="userName", startIndex="2", count="1") == ["Bea"]
    bad_order = scim.get("/Users", params={"sortBy": "userName", "sortOrder": "up"})
    assert "sortOrder" in assert_scim_error(bad_order, 400, "invalidValue")


def test_loose_filter_encodings_never_fail_with_a_server_error(
    scim: SCIMClient,
) -> None:
    """IDP-REQUESTS.md C20: '+' as the space, unquoted values, raw '+' in emails."""
    scim.create("user1@example.com")
    scim.create("user+qa@example.com")
    auth = {"Authorization": f"Bearer {scim.token}"}
    expectations = {
        "filter=userName+eq+user1@example.com": "user1@example.com",
        "filter=userName+eq+%22user%2Bqa%40example.com%22": "user+qa@example.com",
        'filter=userName%20eq%20"user+qa@example.com"': "user+qa@example.com",
    }
    for query, email in expectations.items():
        response = scim.http.get(f"{scim.base}/Users?{query}", headers=auth)
        assert response.status_code == 200, (query, response.text)
        assert [r["userName"] for r in response.json()["Resources"]] == [email]
