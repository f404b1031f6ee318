"""OneLogin's template-made requests (IDP-REQUESTS.md, "OneLogin")."""

from tests.scim.conftest import SCIMClient, Store, stored_member


def _onelogin_user(email: str, active: str) -> dict[str, object]:
    """What a published OneLogin SCIM JSON template renders to."""
    return {
        "schemas": ["urn:scim:schemas:core:1.0"],
        "id": None,
        "userName": email,
        "active": active,
        "name": {"givenName": "One", "familyName": "Login"},
        "emails": [{"value": email, "primary": "true"}],
        "meta": {"resourceType": "User"},
    }


def test_onelogin_create_with_string_active_null_id_and_empty_user_agent(
    scim: SCIMClient, store: Store
) -> None:
    quiet = {"User-Agent": "", "Content-Type": "application/scim+json"}
    created = scim.post(
        "/Users", _onelogin_user("one@example.com", "true"), headers=quiet
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["active"] is True
    assert user["id"]

    path = f"/Users/{user['id']}"
    suspended = scim.put(
        path, _onelogin_user("one@example.com", "false"), headers=quiet
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["active"] is False
    assert stored_member(store, user["id"]).state == "deactivated"

    restored = scim.put(path, _onelogin_user("one@example.com", "TRUE"), headers=quiet)
    assert restored.json()["active"] is True
