"""JumpCloud's provisioning sequence (IDP-REQUESTS.md, "JumpCloud"), over HTTP.

Test Connection, Activate (lookup, create, update, delete of a test user),
Activate again, Activate with a real member's email, then everyday updates and
the import of the existing team.
"""

from typing import Any

from tests.factories import make_member
from tests.scim.conftest import (
    ENTERPRISE_SCHEMA,
    USER_SCHEMA,
    SCIMClient,
    Store,
    assert_scim_error,
    stored_member,
)

JUMPCLOUD_ID = "5f1e2d3c4b5a69788796a5b4"


def _jumpcloud_user(email: str, **changes: Any) -> dict[str, Any]:
    """A create body as JumpCloud sends it: enterprise URN without its object."""
    user: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "userName": email,
        "externalId": JUMPCLOUD_ID,
        "active": True,
        "displayName": "Test User",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"value": email, "type": "work", "primary": True}],
        "addresses": [
            {
                "type": "work",
                "primary": True,
                "streetAddress": "1 Main St",
                "locality": "Boulder",
                "region": "CO",
                "postalCode": "80301",
                "country": "US",
            }
        ],
        "phoneNumbers": [{"type": "work", "primary": True, "value": "tel:+1-555-0100"}],
        "locale": "en-US",
        "preferredLanguage": "en-US",
    }
    user.update(changes)
    return user


def _activate(scim: SCIMClient, email: str) -> str:
    """Lookup, POST, PUT back with the id, DELETE: JumpCloud's Activate."""
    lookup = scim.get("/Users", params={"filter": f'userName eq "{email}"'})
    assert lookup.status_code == 200 and lookup.json()["totalResults"] == 0

    created = scim.post("/Users", _jumpcloud_user(email))
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["externalId"] == JUMPCLOUD_ID
    assert user["userName"] == email
    assert "phoneNumbers" not in user and "addresses" not in user

    update = _jumpcloud_user(
        email,
        id=user["id"],
        schemas=[ENTERPRISE_SCHEMA, USER_SCHEMA],
        photos=[{"value": "https://img.example.com/x.png"}],
        addresses=[],
        phoneNumbers=[],
        title="Tester",
        **{ENTERPRISE_SCHEMA: {"department": "QA"}},
    )
    replaced = scim.put(f"/Users/{user['id']}", update)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == user["id"]

    deleted = scim.delete(f"/Users/{user['id']}")
    assert deleted.status_code == 204
    assert scim.get(f"/Users/{user['id']}").status_code == 404
    return str(user["id"])


def _import_all(scim: SCIMClient, count: int) -> list[dict[str, Any]]:
    """Page through GET /Users as an import does, until totalResults is reached."""
    seen: list[dict[str, Any]] = []
    start = 1
    while True:
        page = scim.get("/Users", params={"startIndex": start, "count": count}).json()
        assert isinstance(page["totalResults"], int)
        seen.extend(page["Resources"])
        start += page["itemsPerPage"]
        if start > page["totalResults"] or not page["Resources"]:
            return seen


def test_jumpcloud_connect_activate_and_import(scim: SCIMClient, store: Store) -> None:
    connection = scim.get("/Users")
    assert connection.status_code == 200
    assert connection.json()["totalResults"] == 0
    assert connection.json()["itemsPerPage"] == 0
    assert connection.json()["Resources"] == []

    first = _activate(scim, "test-user@example.com")
    again = _activate(scim, "test-user@example.com")
    assert again == first

    with store() as db:
        existing = make_member(db, scim.org, "user1@example.com", given="Real")
    taken = scim.post("/Users", _jumpcloud_user("user1@example.com"))
    assert "already exists" in assert_scim_error(taken, 409, "uniqueness")
    kept = stored_member(store, existing.scim_id)
    assert (kept.given_name, kept.external_id, kept.state) == (
        "Real",
        None,
        "provisioned",
    )

    ids = {
        email: scim.post(
            "/Users", _jumpcloud_user(email, externalId=f"{n:024x}")
        ).json()["id"]
        for n, email in enumerate(("a@example.com", "b@example.com", "c@example.com"))
    }
    renamed = scim.put(
        f"/Users/{ids['a@example.com']}",
        {
            "schemas": [USER_SCHEMA],
            "id": ids["a@example.com"],
            "userName": "a@example.com",
            "active": True,
            "name": {"givenName": "Renamed", "familyName": "User"},
            "emails": None,
        },
    )
    assert renamed.json()["name"]["givenName"] == "Renamed"

    b_path = f"/Users/{ids['b@example.com']}"
    off = scim.put(b_path, _jumpcloud_user("b@example.com", active=False))
    assert off.json()["active"] is False
    assert stored_member(store, ids["b@example.com"]).state == "deactivated"
    assert scim.get(b_path).json()["active"] is False
    on = scim.put(b_path, _jumpcloud_user("b@example.com", active=True))
    assert on.json()["active"] is True

    imported = _import_all(scim, count=2)
    emails = sorted(u["userName"] for u in imported)
    assert emails == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "user1@example.com",
    ]
    assert len({u["id"] for u in imported}) == len(imported)
