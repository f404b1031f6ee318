"""The framework's ceiling: a bare Starlette app answering fixed SCIM bodies.

It serves the same paths as Rollcall's SCIM endpoint with precomputed bodies of
a similar size, and does no parsing, database work or logging, so the CPU it
spends per request is what uvicorn and Starlette alone cost.
"""

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MEDIA_TYPE = "application/scim+json"
USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "0d6e5a3c-8f8e-4a43-9b0f-3f0e1c7d9a11",
    "userName": "user00001@example.com",
    "name": {"givenName": "Bench", "familyName": "Mark", "formatted": "Bench Mark"},
    "displayName": "Bench Mark",
    "emails": [{"value": "user00001@example.com", "type": "work", "primary": True}],
    "active": True,
    "meta": {
        "resourceType": "User",
        "created": "2026-12-04T16:00:00Z",
        "lastModified": "2026-12-04T16:00:00Z",
        "location": "http://127.0.0.1/scim/v2/org/Users/0d6e5a3c",
        "version": 'W/"1"',
    },
}
USER_BODY = json.dumps(USER).encode()
LIST_BODY = json.dumps(
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 100,
        "startIndex": 1,
        "itemsPerPage": 100,
        "Resources": [USER] * 100,
    }
).encode()
ONE_BODY = json.dumps(
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 1,
        "startIndex": 1,
        "itemsPerPage": 1,
        "Resources": [USER],
    }
).encode()


async def users(request: Request) -> Response:
    if request.method == "POST":
        await request.body()
        return Response(USER_BODY, status_code=201, media_type=MEDIA_TYPE)
    body = ONE_BODY if "filter" in request.query_params else LIST_BODY
    return Response(body, media_type=MEDIA_TYPE)


async def user(request: Request) -> Response:
    await request.body()
    return Response(USER_BODY, media_type=MEDIA_TYPE)


async def healthz(_request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


app = Starlette(
    routes=[
        Route("/healthz", healthz),
        Route("/scim/v2/{org_id}/Users", users, methods=["GET", "POST"]),
        Route("/scim/v2/{org_id}/Users/{member_id}", user, methods=["GET", "PATCH"]),
    ]
)
