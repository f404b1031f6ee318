"""SCIM 2.0 routes under ``/scim/v2/{org_id}``: Users, discovery, and refusals.

Each handler parses, calls one domain function and renders. Bodies are read by
:func:`rollcall.scim.requests.read_body` (size cap), before the transaction
opens, then parsed after authentication by
:func:`rollcall.scim.requests.parse_json`; queries are read by
:func:`rollcall.scim.requests.list_query`. ``install`` adds the
middleware that tolerates sloppy base URLs and logs failed requests; a request
that succeeds gets its provisioning-log entry in its own transaction
(:mod:`rollcall.scim.provisioning`).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from rollcall.deps import DbSession, SettingsDep
from rollcall.domain import members, ratelimit
from rollcall.errors import StaleVersionError
from rollcall.scim import discovery, patch
from rollcall.scim.auth import Caller, Reader, Writer
from rollcall.scim.errors import (
    SCIM_MEDIA_TYPE,
    NotFoundSCIMError,
    NotImplementedByServiceError,
)
from rollcall.scim.middleware import SCIMMiddleware
from rollcall.scim.provisioning import SCIMRoute, record_success
from rollcall.scim.requests import (
    ListQuery,
    RequestBody,
    list_query,
    paging_query,
    parse_json,
    read_body,
    search_query,
)
from rollcall.scim.resources import (
    etag,
    list_response,
    parse_user,
    render_user,
    select_attributes,
    user_location,
)
from rollcall.search import Paging
from rollcall.storage.models import Member

router = APIRouter(
    prefix="/scim/v2/{org_id}",
    route_class=SCIMRoute,
    dependencies=[Depends(record_success, scope="function")],
)

GROUPS_UNSUPPORTED = (
    "group provisioning is not supported by Rollcall; switch off group management "
    "(group push) for this application in your identity provider"
)
RawBody = Annotated[RequestBody, Depends(read_body)]
JSONBody = Annotated[Any, Depends(parse_json)]
Query = Annotated[ListQuery, Depends(list_query)]
PagingQuery = Annotated[Paging, Depends(paging_query)]


class SCIMResponse(JSONResponse):
    media_type = SCIM_MEDIA_TYPE


def install(app: FastAPI) -> None:
    """Add the SCIM middleware (path normalising, the provisioning log of
    failures) and this process's share of the tokens' rate-limit counts."""
    app.add_middleware(SCIMMiddleware)
    app.state.scim_rate_counts = ratelimit.LocalCounts()


@router.get("/Users", name="scim:list")
def list_users(caller: Reader, db: DbSession, query: Query) -> SCIMResponse:
    return _search(caller, db, query)


@router.post("/Users/.search", name="scim:search")
@router.post("/.search", name="scim:search")
def search_users(
    _raw: RawBody,
    caller: Reader,
    db: DbSession,
    settings: SettingsDep,
    body: JSONBody,
) -> SCIMResponse:
    return _search(caller, db, search_query(body, settings))


@router.post("/Users", name="scim:create", status_code=201)
def create_user(
    request: Request, _raw: RawBody, caller: Writer, db: DbSession, body: JSONBody
) -> SCIMResponse:
    member = members.provision(
        db, caller.org, parse_user(body, replace=False), caller.actor
    )
    request.state.scim_member_id = member.scim_id
    headers = {"Location": user_location(caller.base_url, member)}
    return _user_response(caller, member, 201, headers)


@router.get("/Users/{member_id}", name="scim:get", response_model=None)
def get_user(
    request: Request, caller: Reader, db: DbSession, query: Query, member_id: str
) -> Response:
    member = members.get_member(db, caller.org, member_id)
    if _etag_matches(request.headers.get("if-none-match"), member):
        return Response(status_code=304, headers={"ETag": etag(member)})
    return _user_response(caller, member, query=query)


@router.put("/Users/{member_id}", name="scim:replace")
def replace_user(
    request: Request,
    _raw: RawBody,
    caller: Writer,
    db: DbSession,
    body: JSONBody,
    member_id: str,
) -> SCIMResponse:
    member = _member_for_change(request, caller, db, member_id)
    data = parse_user(body, replace=True)
    members.update(db, caller.org, member, data, caller.actor)
    return _user_response(caller, member)


@router.patch("/Users/{member_id}", name="scim:patch")
def patch_user(
    request: Request,
    _raw: RawBody,
    caller: Writer,
    db: DbSession,
    settings: SettingsDep,
    body: JSONBody,
    member_id: str,
) -> SCIMResponse:
    member = _member_for_change(request, caller, db, member_id)
    current = render_user(member, caller.base_url)
    data = patch.apply_patch(
        body, current, max_operations=settings.scim_max_patch_operations
    )
    members.update(db, caller.org, member, data, caller.actor)
    return _user_response(caller, member)


@router.delete("/Users/{member_id}", name="scim:delete", status_code=204)
def delete_user(
    request: Request, caller: Writer, db: DbSession, member_id: str
) -> Response:
    member = _member_for_change(request, caller, db, member_id)
    members.deprovision(db, caller.org, member, caller.actor)
    return Response(status_code=204)


@router.get("/ServiceProviderConfig", name="scim:discovery")
def service_provider_config(caller: Reader, settings: SettingsDep) -> SCIMResponse:
    return SCIMResponse(discovery.service_provider_config(caller.base_url, settings))


@router.get("/ResourceTypes", name="scim:discovery")
def resource_types(caller: Reader) -> SCIMResponse:
    return SCIMResponse(discovery.resource_types(caller.base_url))


@router.get("/ResourceTypes/{name}", name="scim:discovery")
def resource_type(caller: Reader, name: str) -> SCIMResponse:
    return SCIMResponse(discovery.resource_type(caller.base_url, name))


@router.get("/Schemas", name="scim:discovery")
def schemas(caller: Reader) -> SCIMResponse:
    return SCIMResponse(discovery.schemas(caller.base_url))


@router.get("/Schemas/{schema_id}", name="scim:discovery")
def schema(caller: Reader, schema_id: str) -> SCIMResponse:
    return SCIMResponse(discovery.schema(caller.base_url, schema_id))


@router.get("/Groups", name="scim:groups")
def list_groups(caller: Reader, paging: PagingQuery) -> SCIMResponse:
    """No groups exist: an empty list, whatever the filter, so that the connection
    tests of Okta and Entra, which probe /Groups, pass."""
    return SCIMResponse(list_response([], 0, paging.start_index))


@router.get("/Groups/{group_id}", name="scim:groups")
def get_group(caller: Reader, group_id: str) -> SCIMResponse:
    raise NotFoundSCIMError(f"no group {group_id!r}: {GROUPS_UNSUPPORTED}")


@router.api_route(
    "/Groups", methods=["POST", "PUT", "PATCH", "DELETE"], name="scim:groups"
)
@router.api_route(
    "/Groups/{group_id}", methods=["POST", "PUT", "PATCH", "DELETE"], name="scim:groups"
)
def change_group(caller: Reader) -> SCIMResponse:
    raise NotImplementedByServiceError(GROUPS_UNSUPPORTED)


@router.api_route(
    "/Bulk", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], name="scim:bulk"
)
def bulk(caller: Reader) -> SCIMResponse:
    raise NotImplementedByServiceError(
        "bulk operations are not supported; send one request per user"
    )


@router.api_route(
    "/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], name="scim:me"
)
def me(caller: Reader) -> SCIMResponse:
    raise NotImplementedByServiceError(
        "/Me is not supported: a SCIM token acts for the org, not for one user"
    )


def _search(caller: Caller, db: DbSession, query: ListQuery) -> SCIMResponse:
    total, page = members.search(db, caller.org, query.search)
    resources = [
        select_attributes(
            render_user(m, caller.base_url), query.attributes, query.excluded
        )
        for m in page
    ]
    return SCIMResponse(list_response(resources, total, query.start_index))


def _member_for_change(
    request: Request, caller: Caller, db: DbSession, member_id: str
) -> Member:
    """The member to change, if the caller's preconditions hold: ``If-Match``
    names the current version, ``If-None-Match`` does not (RFC 7232 §3.2: on a
    write, a match, or ``*`` for an existing user, is 412)."""
    member = members.get_member(db, caller.org, member_id, for_update=True)
    if_match = request.headers.get("if-match")
    if if_match is not None and not _etag_matches(if_match, member):
        raise StaleVersionError(
            f"the user changed since version {if_match}; it is now {etag(member)}"
        )
    if _etag_matches(request.headers.get("if-none-match"), member):
        raise StaleVersionError(
            f"the user is at version {etag(member)}, which If-None-Match excludes; "
            "nothing was changed"
        )
    return member


def _etag_matches(header: str | None, member: Member) -> bool:
    """Whether an If-Match / If-None-Match list names the member's version."""
    if header is None:
        return False
    current = etag(member).removeprefix("W/")
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == current:
            return True
    return False


def _user_response(
    caller: Caller,
    member: Member,
    status: int = 200,
    headers: dict[str, str] | None = None,
    query: ListQuery | None = None,
) -> SCIMResponse:
    body = render_user(member, caller.base_url)
    if query is not None:
        body = select_attributes(body, query.attributes, query.excluded)
    all_headers = {"ETag": etag(member), **(headers or {})}
    return SCIMResponse(body, status_code=status, headers=all_headers)
