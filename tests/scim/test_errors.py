"""Every failure under /scim answers SCIM error JSON: limits, syntax, routes."""

import json

import httpx
import pytest
from fastapi import FastAPI

from tests.scim.conftest import SCIM_JSON, SCIMClient, assert_scim_error, user_body


def test_body_over_limit_is_413_by_declared_length(
    scim: SCIMClient, app: FastAPI
) -> None:
    limit = app.state.settings.scim_max_body_bytes
    padding = "x" * (limit + 10)
    body = user_body("ada@example.com", title=padding)
    detail = assert_scim_error(scim.post("/Users", body), 413)
    assert str(limit) in detail


def test_body_over_limit_is_413_when_streamed_without_length(
    scim: SCIMClient, app: FastAPI
) -> None:
    limit = app.state.settings.scim_max_body_bytes
    chunk = b" " * 65536

    def chunks() -> object:
        yield b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],'
        for _ in range(limit // len(chunk) + 2):
            yield chunk
        yield b'"userName": "ada@example.com"}'

    response = scim.request(
        "POST",
        "/Users",
        content=chunks(),  # type: ignore[arg-type]
        headers={"Content-Type": SCIM_JSON},
    )
    assert_scim_error(response, 413)
    assert scim.get("/Users").json()["totalResults"] == 0


def test_bad_json_is_400_invalid_syntax(scim: SCIMClient) -> None:
    for content in (b'{"userName": ', b"", b"\xff\xfe{", b"[" * 100000):
        response = scim.request(
            "POST", "/Users", content=content, headers={"Content-Type": SCIM_JSON}
        )
        assert_scim_error(response, 400, "invalidSyntax")


def test_body_that_is_not_an_object_is_invalid_syntax(scim: SCIMClient) -> None:
    response = scim.post("/Users", ["not", "a", "user"])
    assert_scim_error(response, 400, "invalidSyntax")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/scim+json",
        "application/json",
        "application/scim+json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        None,
    ],
)
def test_json_content_types_and_none_are_accepted(
    scim: SCIMClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    content = json.dumps(user_body("ada@example.com")).encode()
    response = scim.request("POST", "/Users", content=content, headers=headers)
    assert response.status_code == 201, response.text


def test_other_content_type_is_415(scim: SCIMClient) -> None:
    content = json.dumps(user_body("ada@example.com")).encode()
    response = scim.request(
        "POST",
        "/Users",
        content=content,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    detail = assert_scim_error(response, 415)
    assert "application/scim+json" in detail


def test_unknown_route_and_method_answer_scim_json(scim: SCIMClient) -> None:
    assert_scim_error(scim.get("/Nope"), 404)
    assert_scim_error(scim.request("PUT", "/Users"), 405)
    assert_scim_error(scim.http.get("/scim/v2"), 404)


def test_trailing_and_doubled_slashes_are_tolerated(scim: SCIMClient) -> None:
    created = scim.create("ada@example.com")
    for path in ("//Users", "/Users/", "//Users//", f"//Users/{created['id']}/"):
        response = scim.get(path)
        assert response.status_code == 200, (path, response.text)
    assert scim.get("//Users/").json()["totalResults"] == 1


def test_bulk_and_me_are_501(scim: SCIMClient) -> None:
    assert "bulk" in assert_scim_error(scim.post("/Bulk", {}), 501)
    assert "/Me" in assert_scim_error(scim.get("/Me"), 501)


def test_groups_list_is_empty_and_honours_paging(scim: SCIMClient) -> None:
    response = scim.get(
        "/Groups",
        params={
            "startIndex": "3",
            "count": "5",
            "filter": 'displayName eq "x"',
            "excludedAttributes": "members",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(SCIM_JSON)
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 3,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_group_writes_say_group_provisioning_is_unsupported(
    scim: SCIMClient,
) -> None:
    group = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineering",
    }
    member_op = {
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "x"}]}]
    }
    for response in (
        scim.post("/Groups", group),
        scim.patch("/Groups/g1", member_op),
        scim.put("/Groups/g1", group),
        scim.delete("/Groups/g1"),
    ):
        detail = assert_scim_error(response, 501)
        assert "group provisioning is not supported" in detail
        assert "switch off" in detail
    assert "not supported" in assert_scim_error(scim.get("/Groups/g1"), 404)


def test_empty_user_agent_is_fine(scim: SCIMClient) -> None:
    response = scim.get("/Users", headers={"User-Agent": ""})
    assert response.status_code == 200


def test_error_responses_carry_no_internals(
    scim: SCIMClient, http: httpx.Client
) -> None:
    response = scim.post("/Users", {"schemas": 5})
    assert_scim_error(response, 400, "invalidSyntax")
    assert "File " not in response.text and "line " not in response.text
