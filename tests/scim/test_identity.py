"""DESIGN.md "Identity rules" as SCIM answers; the store never changes on refusal."""

from tests.scim.conftest import (
    SCIMClient,
    Store,
    assert_scim_error,
    patch_body,
    stored_member,
    user_body,
)


def _member_count(scim: SCIMClient) -> int:
    count: int = scim.get("/Users").json()["totalResults"]
    return count


def test_email_off_the_org_domains_is_invalid_value_naming_them(
    scim: SCIMClient,
) -> None:
    detail = assert_scim_error(
        scim.post("/Users", user_body("eve@elsewhere.net")), 400, "invalidValue"
    )
    assert "example.com" in detail
    assert _member_count(scim) == 0


def test_user_name_other_than_primary_email_is_invalid_value(
    scim: SCIMClient,
) -> None:
    body = user_body(
        "ada@example.com",
        emails=[{"value": "lovelace@example.com", "primary": True}],
    )
    detail = assert_scim_error(scim.post("/Users", body), 400, "invalidValue")
    assert "primary email" in detail
    not_email = user_body("ada", emails=None)
    assert_scim_error(scim.post("/Users", not_email), 400, "invalidValue")
    assert _member_count(scim) == 0


def test_missing_user_name_is_invalid_value(scim: SCIMClient) -> None:
    body = user_body("ada@example.com")
    del body["userName"]
    assert_scim_error(scim.post("/Users", body), 400, "invalidValue")


def test_put_changing_user_name_or_email_is_mutability(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"

    renamed = user_body("bob@example.com", name={"givenName": "Bob"})
    detail = assert_scim_error(scim.put(path, renamed), 400, "mutability")
    assert "cannot change" in detail
    other_email = user_body(
        "ada@example.com",
        emails=[{"value": "bob@example.com", "primary": True}],
    )
    assert_scim_error(scim.put(path, other_email), 400, "mutability")

    member = stored_member(store, created["id"])
    assert (member.email, member.given_name) == ("ada@example.com", "Ada")


def test_same_identity_in_other_case_is_accepted_and_stored_as_first_given(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("Ada@Example.com")
    path = f"/Users/{created['id']}"
    response = scim.put(path, user_body("ADA@EXAMPLE.COM", displayName="A"))
    assert response.status_code == 200, response.text
    assert response.json()["userName"] == "Ada@Example.com"
    assert stored_member(store, created["id"]).email == "Ada@Example.com"


def test_patch_changing_user_name_is_mutability(scim: SCIMClient, store: Store) -> None:
    created = scim.create("ada@example.com")
    operation = {"op": "replace", "path": "userName", "value": "eve@example.com"}
    response = scim.patch(f"/Users/{created['id']}", patch_body(operation))
    assert_scim_error(response, 400, "mutability")
    assert stored_member(store, created["id"]).email == "ada@example.com"


def test_duplicate_in_other_case_is_409_uniqueness(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("ada@example.com", displayName="Original")
    body = user_body("ADA@example.COM", displayName="Impostor")
    detail = assert_scim_error(scim.post("/Users", body), 409, "uniqueness")
    assert "exists" in detail
    assert stored_member(store, created["id"]).display_name == "Original"
    assert _member_count(scim) == 1


def test_emails_null_or_empty_on_put_keep_the_email(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"
    for emails in (None, []):
        response = scim.put(path, user_body("ada@example.com", emails=emails))
        assert response.status_code == 200, response.text
        assert response.json()["emails"][0]["value"] == "ada@example.com"
    assert stored_member(store, created["id"]).email == "ada@example.com"


def test_user_type_is_read_only(scim: SCIMClient, store: Store) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"
    response = scim.put(path, user_body("ada@example.com", userType="owner"))
    assert response.json()["userType"] == "member"
    assert stored_member(store, created["id"]).role == "member"
