"""The provisioning-log entry of a SCIM request, written in the request's own
transaction when the request succeeds.

A request that succeeds commits once: its changes and its log entry together.
A failed request rolls back, entry included, so :mod:`rollcall.scim.middleware`
writes the failure in a transaction of its own after the error response is
known. To tell the two apart, :class:`SCIMRoute` notes on ``request.state`` the
status of the response the handler returned (a handler that raises returns
none), and :func:`record_success` adds the entry before the request's
transaction commits and notes which status it recorded.
"""

import json
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Scope

from rollcall.deps import DbSession
from rollcall.domain import provisioning_log
from rollcall.domain.provisioning_log import RequestSummary

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class SCIMRoute(APIRoute):
    """An API route that notes the status its handler answered with."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def handle_and_note_status(request: Request) -> Response:
            response = await handler(request)
            request.state.scim_status = response.status_code
            return response

        return handle_and_note_status


def record_success(request: Request, db: DbSession) -> Iterator[None]:
    """Add the request's log entry to its transaction once the handler answered.

    Runs (with ``scope="function"``) after the handler and before
    :func:`rollcall.deps.get_db` commits. A handler that raised never reaches
    the code after ``yield``: the middleware logs that failure instead.
    """
    yield
    state = request.state
    org_id = getattr(state, "scim_org_id", None)
    status = getattr(state, "scim_status", None)
    if org_id is None or status is None:
        return
    keep = request.app.state.settings.provisioning_log_keep
    summary = summarise(request.scope, status)
    provisioning_log.record_request(db, org_id, summary, keep=keep)
    state.scim_logged_status = status


def summarise(scope: Scope, status: int, error_body: bytes = b"") -> RequestSummary:
    """What the log keeps of the request in ``scope`` that ended with ``status``."""
    state: dict[str, Any] = scope.get("state", {})
    route = scope.get("route")
    name = getattr(route, "name", None) or "scim:unknown"
    path_params = scope.get("path_params", {})
    return RequestSummary(
        request_id=str(state.get("request_id", "-")),
        method=scope["method"],
        operation=name.removeprefix("scim:"),
        member_scim_id=state.get("scim_member_id") or path_params.get("member_id"),
        status=status,
        detail=_error_detail(error_body, status),
    )


def _error_detail(body: bytes, status: int) -> str | None:
    if status < 400:
        return None
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    return "internal error" if status >= 500 else None
