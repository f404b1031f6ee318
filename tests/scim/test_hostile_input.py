"""Hostile or malformed User bodies get a SCIM 400 naming the attribute, never a 500."""

import json
from typing import Any

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


def _send(scim: SCIMClient, method: str, path: str, body: Any) -> Any:
    """Send ``body`` encoded with ASCII escapes, so that lone surrogates survive."""
    return scim.request(
        method,
        path,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/scim+json"},
    )


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("userName", None),
        ("userName", 5),
        ("userName", ["ada@example.com"]),
        ("userName", {"value": "ada@example.com"}),
        ("displayName", 12),
        ("displayName", {"x": 1}),
        ("externalId", 7),
        ("externalId", [1]),
        ("name", "Ada"),
        ("emails", "ada@example.com"),
        ("emails", [{"value": None}]),
        ("emails", [None]),
        ("active", None),
        ("active", 1),
    ],
)
def test_post_with_null_or_wrong_type_is_invalid_value_naming_it(
    scim: SCIMClient, attribute: str, value: Any
) -> None:
    body = user_body(EMAIL, **{attribute: value})
    detail = assert_scim_error(_send(scim, "POST", "/Users", body), 400, "invalidValue")
    assert attribute in detail


def test_post_with_null_user_name_says_it_is_required(scim: SCIMClient) -> None:
    detail = assert_scim_error(
        _send(scim, "POST", "/Users", user_body(EMAIL, userName=None)),
        400,
        "invalidValue",
    )
    assert "userName is required" in detail


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("givenName", 5),
        ("familyName", ["x"]),
        ("formatted", {"a": 1}),
    ],
)
def test_name_parts_of_wrong_type_are_invalid_value_on_post_and_put(
    scim: SCIMClient, field: str, value: Any
) -> None:
    created = scim.create(EMAIL)
    body = user_body(EMAIL, name={field: value})
    for method, path in (("POST", "/Users"), ("PUT", f"/Users/{created['id']}")):
        detail = assert_scim_error(_send(scim, method, path, body), 400, "invalidValue")
        assert field in detail


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("userName", None),
        ("userName", 5),
        ("displayName", 12),
        ("externalId", 7),
        ("active", None),
    ],
)
def test_put_with_null_or_wrong_type_is_invalid_value(
    scim: SCIMClient, store: Store, attribute: str, value: Any
) -> None:
    created = scim.create(EMAIL)
    body = user_body(EMAIL, **{attribute: value})
    response = _send(scim, "PUT", f"/Users/{created['id']}", body)

    detail = assert_scim_error(response, 400, "invalidValue")
    assert attribute in detail
    assert stored_member(store, created["id"]).email == EMAIL


BAD_TEXTS = ["lone\ud800x", "nul\x00x", "bell\x07x", "esc\x1b[31mx", "del\x7fx"]


@pytest.mark.parametrize("bad", BAD_TEXTS)
@pytest.mark.parametrize(
    ("attribute", "place"),
    [
        ("displayName", lambda v: {"displayName": v}),
        ("externalId", lambda v: {"externalId": v}),
        ("givenName", lambda v: {"name": {"givenName": v}}),
        ("familyName", lambda v: {"name": {"familyName": v}}),
        ("formatted", lambda v: {"name": {"formatted": v}}),
    ],
)
def test_control_characters_and_lone_surrogates_are_refused_naming_the_attribute(
    scim: SCIMClient, store: Store, bad: str, attribute: str, place: Any
) -> None:
    body = user_body(EMAIL, **place(bad))
    detail = assert_scim_error(_send(scim, "POST", "/Users", body), 400, "invalidValue")
    assert attribute in detail

    created = scim.create(EMAIL)
    detail = assert_scim_error(
        _send(scim, "PUT", f"/Users/{created['id']}", body), 400, "invalidValue"
    )
    assert attribute in detail


@pytest.mark.parametrize("bad", ["lone\ud800@example.com", "nul\x00@example.com"])
def test_bad_characters_in_user_name_or_email_are_refused(
    scim: SCIMClient, bad: str
) -> None:
    body = user_body(bad)
    detail = assert_scim_error(_send(scim, "POST", "/Users", body), 400, "invalidValue")
    assert "userName" in detail
    body = user_body(EMAIL, emails=[{"value": bad, "primary": True}])
    detail = assert_scim_error(_send(scim, "POST", "/Users", body), 400, "invalidValue")
    assert "emails" in detail
    assert scim.get("/Users").json()["totalResults"] == 0


def test_non_ascii_org_id_with_a_valid_token_is_401(scim: SCIMClient) -> None:
    for org_id in ("%C3%A9", "%C3%A9" * 8, "%E2%84%AA" * 16):
        response = scim.http.get(
            f"/scim/v2/{org_id}/Users",
            headers={"Authorization": f"Bearer {scim.token}"},
        )
        assert_scim_error(response, 401)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"count": ' + b"9" * 5000 + b"}", "a number in the body is too long"),
        (b'{"userName": "\xff\xfe\xfa"}', "not UTF-8"),
        (b'{"userName": ', "not valid JSON"),
        (b"{'single': 'quotes'}", "not valid JSON"),
    ],
)
def test_unreadable_json_is_explained_in_our_own_words(
    scim: SCIMClient, body: bytes, says: str
) -> None:
    response = scim.request(
        "POST",
        "/Users",
        content=body,
        headers={"Content-Type": "application/scim+json"},
    )

    detail = assert_scim_error(response, 400, "invalidSyntax")
    assert says in detail
    for internal in ("recursion", "4300", "codec", "Expecting", "sys.set"):
        assert internal not in detail


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("displayName", "displayName"),
        ("externalId", "externalId"),
        ("name.givenName", "name.givenName"),
    ],
)
def test_patch_with_a_control_character_is_refused_naming_the_attribute(
    scim: SCIMClient, store: Store, path: str, label: str
) -> None:
    created = scim.create(EMAIL)
    op = {"op": "replace", "path": path, "value": "evil\x1b[2Jname"}

    response = scim.patch(f"/Users/{created['id']}", patch_body(op))

    detail = assert_scim_error(response, 400, "invalidValue")
    assert label in detail
    assert stored_member(store, created["id"]).given_name == "Ada"
