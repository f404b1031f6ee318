"""Microsoft Entra ID's provisioning requests (IDP-REQUESTS.md, "Entra")."""

import uuid
from typing import Any

from tests.scim.conftest import (
    ENTERPRISE_SCHEMA,
    PATCH_SCHEMA,
    USER_SCHEMA,
    SCIMClient,
    Store,
    assert_scim_error,
    stored_member,
)


def _entra_user(email: str, external_id: str) -> dict[str, Any]:
    """Entra's validator style: PascalCase names, a GUID externalId."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "ExternalId": external_id,
        "UserName": email,
        "Active": True,
        "DisplayName": "Entra User",
        "Name": {"GivenName": "Entra", "FamilyName": "User"},
        "Emails": [{"Primary": True, "Type": "work", "Value": email}],
        ENTERPRISE_SCHEMA: {"employeeNumber": "42", "department": "Ops"},
    }


def _patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def test_entra_test_connection_with_random_user_name(scim: SCIMClient) -> None:
    probe = scim.get("/Users", params={"filter": f'userName eq "{uuid.uuid4()}"'})
    assert probe.status_code == 200
    assert probe.json()["totalResults"] == 0
    assert probe.json()["Resources"] == []
    groups = scim.get(
        "/Groups",
        params={"filter": 'displayName eq "x"', "excludedAttributes": "members"},
    )
    assert groups.status_code == 200 and groups.json()["totalResults"] == 0


def test_entra_create_lookup_update_disable_and_delete(
    scim: SCIMClient, store: Store
) -> None:
    external_id = str(uuid.uuid4())
    created = scim.post("/Users", _entra_user("entra.user@example.com", external_id))
    assert created.status_code == 201, created.text
    user = created.json()
    path = f"/Users/{user['id']}"
    assert user["displayName"] == "Entra User"

    by_external = scim.get(
        "/Users", params={"filter": f'externalId eq "{external_id}"'}
    )
    assert [u["id"] for u in by_external.json()["Resources"]] == [user["id"]]
    by_email = scim.get(
        "/Users",
        params={"filter": 'emails[type eq "work"].value eq "Entra.User@example.com"'},
    )
    assert by_email.json()["totalResults"] == 1

    rename = scim.patch(
        path,
        _patch(
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "entra.user@example.com",
            },
            {"op": "Replace", "path": "name.givenName", "value": "Renamed"},
            {"op": "Add", "path": "name.familyName", "value": "Two"},
        ),
    )
    assert rename.status_code == 200, rename.text
    assert rename.json()["name"]["givenName"] == "Renamed"
    assert rename.json()["name"]["familyName"] == "Two"

    disabled = scim.patch(
        path, _patch({"op": "Replace", "path": "active", "value": "False"})
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["active"] is False
    inactive = scim.get("/Users", params={"filter": f'externalId eq "{external_id}"'})
    assert inactive.json()["Resources"][0]["active"] is False

    enabled = scim.patch(
        path, _patch({"op": "Replace", "path": "active", "value": "True"})
    )
    assert enabled.json()["active"] is True

    assert scim.delete(path).status_code == 204
    assert stored_member(store, user["id"]).state == "deprovisioned"


def test_entra_changed_work_email_is_mutability_and_nothing_applies(
    scim: SCIMClient, store: Store
) -> None:
    user = scim.post("/Users", _entra_user("entra@example.com", "x-1")).json()
    response = scim.patch(
        f"/Users/{user['id']}",
        _patch(
            {"op": "Replace", "path": "name.familyName", "value": "Changed"},
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "someone.else@example.com",
            },
        ),
    )
    detail = assert_scim_error(response, 400, "mutability")
    assert "cannot change" in detail
    member = stored_member(store, user["id"])
    assert (member.email, member.family_name) == ("entra@example.com", "User")


def test_entra_no_path_replace_with_dotted_and_urn_keys(scim: SCIMClient) -> None:
    user = scim.post("/Users", _entra_user("flag@example.com", "x-2")).json()
    response = scim.patch(
        f"/Users/{user['id']}",
        _patch(
            {
                "op": "replace",
                "value": {
                    "name.givenName": "New",
                    "displayName": "New Two",
                    f"{ENTERPRISE_SCHEMA}:employeeNumber": "43",
                },
            }
        ),
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"]["givenName"] == "New"
    assert response.json()["displayName"] == "New Two"
