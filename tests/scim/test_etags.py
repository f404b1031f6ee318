"""ETags: weak versions on every resource, If-Match and If-None-Match."""

from tests.scim.conftest import (
    SCIMClient,
    Store,
    assert_scim_error,
    patch_body,
    stored_member,
    user_body,
)


def test_etag_changes_with_every_change(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com")
    first = created["meta"]["version"]
    assert first.startswith('W/"')

    path = f"/Users/{created['id']}"
    replaced = scim.put(path, user_body("ada@example.com", displayName="A"))
    second = replaced.headers["etag"]
    assert second != first
    assert scim.get(path).headers["etag"] == second


def test_unchanged_put_keeps_the_etag(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"
    again = scim.put(path, user_body("ada@example.com"))
    assert again.headers["etag"] == created["meta"]["version"]


def test_if_none_match_current_version_is_304(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"
    version = created["meta"]["version"]

    cached = scim.get(path, headers={"If-None-Match": version})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == version

    stale = scim.get(path, headers={"If-None-Match": 'W/"0"'})
    assert stale.status_code == 200
    assert stale.json()["id"] == created["id"]


def test_if_match_stale_version_is_412_and_nothing_changes(
    scim: SCIMClient, store: Store
) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"
    stale = {"If-Match": 'W/"0"'}

    body = user_body("ada@example.com", displayName="Changed")
    assert_scim_error(scim.put(path, body, headers=stale), 412)
    operation = {"op": "replace", "path": "displayName", "value": "Changed"}
    assert_scim_error(scim.patch(path, patch_body(operation), headers=stale), 412)
    assert_scim_error(scim.delete(path, headers=stale), 412)

    member = stored_member(store, created["id"])
    assert member.display_name is None
    assert member.state == "provisioned"


def test_if_match_current_version_or_star_applies(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com")
    path = f"/Users/{created['id']}"
    version = created["meta"]["version"]

    body = user_body("ada@example.com", displayName="Changed")
    replaced = scim.put(path, body, headers={"If-Match": version})
    assert replaced.status_code == 200
    assert replaced.json()["displayName"] == "Changed"

    strong = replaced.headers["etag"].removeprefix("W/")
    operation = {"op": "replace", "path": "displayName", "value": "Again"}
    patched = scim.patch(path, patch_body(operation), headers={"If-Match": strong})
    assert patched.status_code == 200, patched.text

    assert scim.delete(path, headers={"If-Match": "*"}).status_code == 204
