"""If-None-Match on PUT, PATCH and DELETE (RFC 7232 §3.2): a match is 412."""

import httpx
import pytest

from tests.scim.conftest import (
    SCIMClient,
    Store,
    assert_scim_error,
    patch_body,
    stored_member,
    user_body,
)

EMAIL = "ada@example.com"


def _write(scim: SCIMClient, method: str, user_id: str, header: str) -> httpx.Response:
    headers = {"If-None-Match": header}
    path = f"/Users/{user_id}"
    if method == "PUT":
        body = user_body(EMAIL, displayName="Changed")
        return scim.put(path, body, headers=headers)
    if method == "PATCH":
        op = {"op": "replace", "path": "displayName", "value": "Changed"}
        return scim.patch(path, patch_body(op), headers=headers)
    return scim.delete(path, headers=headers)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("which", ["current", "star", "list"])
def test_if_none_match_naming_the_current_version_refuses_the_write(
    scim: SCIMClient, store: Store, method: str, which: str
) -> None:
    created = scim.create(EMAIL)
    version = created["meta"]["version"]
    header = {"current": version, "star": "*", "list": f'W/"999", {version}'}[which]

    response = _write(scim, method, created["id"], header)

    assert_scim_error(response, 412)
    member = stored_member(store, created["id"])
    assert member.display_name is None
    assert str(member.state) != "deprovisioned"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_if_none_match_naming_another_version_lets_the_write_through(
    scim: SCIMClient, method: str
) -> None:
    created = scim.create(EMAIL)

    response = _write(scim, method, created["id"], 'W/"999"')

    assert response.status_code in (200, 204), response.text
