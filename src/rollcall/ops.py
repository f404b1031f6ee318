"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from rollcall import metrics

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    """The process can reach its database."""
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    """The Prometheus exposition of this app (of all workers in multiprocess mode).

    Labels hold no org ids or secrets; still, serve this path to the monitoring
    network only (docs/operations.md).
    """
    current = metrics.current()
    if current is None:
        return Response("metrics are not enabled\n", status_code=404)
    body, content_type = current.render()
    return Response(body, media_type=content_type)
