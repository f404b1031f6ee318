"""``create_app(settings)``: routers, middleware, the error-handler table, lifespan."""

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from rollcall import ops
from rollcall.config import Settings
from rollcall.dashboard import routes as dashboard_routes
from rollcall.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidFilterError,
    InvalidInputError,
    MutabilityError,
    NotFoundError,
    StaleVersionError,
)
from rollcall.guards import (
    BodyLimitMiddleware,
    CleanRequestMiddleware,
    UnexpectedErrorMiddleware,
)
from rollcall.logs import RequestIdMiddleware, configure_logging
from rollcall.metrics import MetricsMiddleware
from rollcall.saml import routes as saml_routes
from rollcall.scim import routes as scim_routes
from rollcall.scim.errors import SCIMError, error_response
from rollcall.storage.db import make_engine, make_sessionmaker
from rollcall.web import error_page

log = logging.getLogger(__name__)

# Domain error -> (HTTP status, SCIM scimType, page title). Looked up along the
# exception's MRO, so a subclass without an entry answers like its parent.
DOMAIN_ERRORS: dict[type[DomainError], tuple[int, str | None, str]] = {
    NotFoundError: (404, None, "Not found"),
    ConflictError: (409, "uniqueness", "Already exists"),
    StaleVersionError: (412, None, "Changed meanwhile"),
    ForbiddenError: (403, None, "Not allowed"),
    MutabilityError: (400, "mutability", "Cannot be changed"),
    InvalidFilterError: (400, "invalidFilter", "Bad search"),
    InvalidInputError: (400, "invalidValue", "Invalid value"),
}
HTTP_TITLES = {404: "Page not found", 405: "Method not allowed"}


def create_app(settings: Settings) -> FastAPI:
    """Build the Rollcall ASGI app for ``settings``."""
    settings.check_secrets()
    configure_logging(settings)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Rollcall",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)

    for router in (
        ops.router,
        scim_routes.router,
        saml_routes.router,
        dashboard_routes.router,
    ):
        app.include_router(router)
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    for exc_class, handler in HANDLERS.items():
        app.add_exception_handler(exc_class, handler)
    scim_routes.install(app)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.form_max_body_bytes, refuse=_refuse
    )
    app.add_middleware(CleanRequestMiddleware, refuse=_refuse)
    app.add_middleware(UnexpectedErrorMiddleware, render=_unexpected_error)
    dashboard_routes.install(app)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


def _is_scim(request: Request) -> bool:
    return request.url.path.startswith("/scim/")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _answer(
    request: Request,
    status: int,
    title: str,
    detail: str,
    scim_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if _is_scim(request):
        return error_response(status, detail, scim_type, headers)
    if _is_api(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    return error_page(request, status, title, detail)


def _refuse(
    request: Request, status: int, title: str, detail: str, scim_type: str
) -> Response:
    return _answer(request, status, title, detail, scim_type)


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    for cls in type(exc).__mro__:
        if cls in DOMAIN_ERRORS:
            status, scim_type, title = DOMAIN_ERRORS[cls]
            return _answer(request, status, title, exc.detail, scim_type)
    return _answer(request, 400, "Not possible", exc.detail)


def _scim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SCIMError)
    return error_response(exc.status, exc.detail, exc.scim_type, exc.headers)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = ", ".join(
        ".".join(str(p) for p in err.get("loc", ())[1:]) or "request"
        for err in exc.errors()
    )
    return _answer(
        request, 400, "Bad request", f"invalid or missing: {fields}", "invalidSyntax"
    )


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTP_TITLES.get(exc.status_code, "Request refused")
    detail = str(exc.detail) if exc.status_code != 404 else "no such resource"
    return _answer(request, exc.status_code, title, detail, headers=exc.headers)


def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc)
    return _answer(
        request,
        500,
        "Something went wrong",
        "an internal error occurred; it has been logged with this request's id",
    )


HANDLERS: dict[type[Exception], Callable[[Request, Exception], Any]] = {
    DomainError: _domain_error,
    SCIMError: _scim_error,
    RequestValidationError: _validation_error,
    StarletteHTTPException: _http_error,
    Exception: _unexpected_error,
}
