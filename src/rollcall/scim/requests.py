"""Reading SCIM requests: JSON bodies and list queries, with their limits.

The query string is decoded by :func:`rollcall.scim.filters.parse_query`, not by
a form decoder, so a ``+`` sent as ``%2B`` inside an email survives (DESIGN.md).
Parameter names are matched case-insensitively; bad values are ``400``.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from rollcall.config import Settings
from rollcall.scim import filters
from rollcall.scim.errors import (
    InvalidSyntaxError,
    InvalidValueError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from rollcall.scim.resources import parse_attribute_list
from rollcall.search import Paging, Search, Sort

JSON_MEDIA_TYPES = {"application/scim+json", "application/json"}
INTEGER = re.compile(r"^[+-]?[0-9]{1,30}$")
MAX_START_INDEX = 2**31 - 1


@dataclass(frozen=True)
class ListQuery:
    """A parsed list or search request: what to find and which attributes to show."""

    search: Search
    attributes: list[str]
    excluded: list[str]

    @property
    def start_index(self) -> int:
        return self.search.paging.start_index


@dataclass(frozen=True)
class RequestBody:
    """The bytes of a request body, or the fact that it was over the limit."""

    data: bytes
    over_limit: bool


async def read_body(request: Request) -> RequestBody:
    """The raw request body, read up to ``scim_max_body_bytes``.

    Routes take it before anything that opens the request's transaction: a slow
    upload must not hold a database lock (on SQLite, the write lock) meanwhile.
    A body over the limit is not refused here but by :func:`parse_json`, after
    authentication, so that the refusal reaches the org's provisioning log.
    """
    limit: int = request.app.state.settings.scim_max_body_bytes
    if _declared_length(request.headers.get("content-length")) > limit:
        return RequestBody(b"", over_limit=True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return RequestBody(b"", over_limit=True)
        chunks.append(chunk)
    return RequestBody(b"".join(chunks), over_limit=False)


async def parse_json(
    request: Request, body: Annotated[RequestBody, Depends(read_body)]
) -> Any:
    """The body read by :func:`read_body` as JSON.

    :raises PayloadTooLargeError: the body is over the limit (declared or sent).
    :raises UnsupportedMediaTypeError: a content type other than JSON.
    :raises InvalidSyntaxError: the body is empty or not JSON.
    """
    if body.over_limit:
        limit = request.app.state.settings.scim_max_body_bytes
        raise PayloadTooLargeError(f"the request body is larger than {limit} bytes")
    _check_media_type(request.headers.get("content-type"))
    if not body.data.strip():
        raise InvalidSyntaxError("the request needs a JSON body")
    return _load_json(body.data)


def _load_json(data: bytes) -> Any:
    """The JSON value of ``data``; a failure is told in our words, never the
    parser's, which name interpreter limits (recursion, integer digits)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise InvalidSyntaxError("the JSON body is nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidSyntaxError("the body is not UTF-8 text, so not JSON") from None
    except json.JSONDecodeError as exc:
        raise InvalidSyntaxError(
            f"the body is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError:
        # Python refuses to convert integers of more than 4300 digits.
        raise InvalidSyntaxError("a number in the body is too long") from None


def _check_media_type(content_type: str | None) -> None:
    if content_type is None or not content_type.strip():
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        raise UnsupportedMediaTypeError(
            f"content type {media_type!r} is not accepted; send application/scim+json"
        )


def _declared_length(declared: str | None) -> int:
    if declared is not None and declared.strip().isdigit():
        return int(declared)
    return 0


async def list_query(request: Request) -> ListQuery:
    """``filter``, paging, sorting and attribute selection from the query string.

    This and the other parsers here are ``async`` though they await nothing:
    they do no I/O, and FastAPI would run a plain function in its thread pool,
    a hop that costs more CPU than the parsing.
    """
    return build_query(_query_params(request), request.app.state.settings)


async def paging_query(request: Request) -> Paging:
    """Only the paging of the query string (for lists that cannot be filtered)."""
    settings: Settings = request.app.state.settings
    return paging(_query_params(request), settings.scim_max_page_size)


def _query_params(request: Request) -> dict[str, Any]:
    raw = filters.parse_query(request.scope["query_string"])
    return {key.lower(): value for key, value in raw.items()}


def search_query(body: Any, settings: Settings) -> ListQuery:
    """The same from a ``POST /Users/.search`` body (RFC 7644 §3.4.3)."""
    if not isinstance(body, dict):
        raise InvalidSyntaxError("a search request body must be a JSON object")
    params = {key.lower(): value for key, value in body.items()}
    for key in ("attributes", "excludedattributes"):
        if isinstance(params.get(key), list):
            params[key] = ",".join(str(v) for v in params[key])
    return build_query(params, settings)


def build_query(params: Mapping[str, Any], settings: Settings) -> ListQuery:
    text = _text(params, "filter")
    search = Search(
        filter=(
            filters.parse_filter(text, max_length=settings.scim_max_filter_length)
            if text
            else None
        ),
        sort=_sort(params),
        paging=paging(params, settings.scim_max_page_size),
    )
    return ListQuery(
        search=search,
        attributes=parse_attribute_list(_text(params, "attributes")),
        excluded=parse_attribute_list(_text(params, "excludedattributes")),
    )


def paging(params: Mapping[str, Any], max_page_size: int) -> Paging:
    """``startIndex`` below 1 means 1; ``count`` below 0 means 0, above the cap the
    cap (RFC 7644 §3.4.2.4). A ``startIndex`` past what a database integer holds
    is held there: no org has that many members, so the page is empty anyway."""
    start_index = _integer(params, "startIndex", 1)
    count = _integer(params, "count", max_page_size)
    return Paging(
        start_index=min(max(start_index, 1), MAX_START_INDEX),
        count=min(max(count, 0), max_page_size),
    )


def _integer(params: Mapping[str, Any], key: str, default: int) -> int:
    value = params.get(key.lower())
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.match(value.strip()):
        return int(value.strip())
    raise InvalidValueError(f"{key} must be an integer, got {value!r}")


def _text(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValueError(f"{key} must be a string, got {value!r}")
    return value


def _sort(params: Mapping[str, Any]) -> Sort | None:
    sort_by = _text(params, "sortby")
    order = (_text(params, "sortorder") or "ascending").strip().lower()
    if order not in ("ascending", "descending"):
        raise InvalidValueError(
            f"sortOrder must be ascending or descending, got {order!r}"
        )
    if not sort_by:
        return None
    return Sort(
        attribute=filters.canonical_attribute(sort_by.strip()),
        descending=order == "descending",
    )
