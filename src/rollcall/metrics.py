"""Prometheus metrics: requests, latency, SCIM operations and SAML sign-ins.

Each app owns a :class:`Metrics` with its own ``CollectorRegistry``, created by
:class:`MetricsMiddleware`, so two apps in one process (the tests) never share
counts. The middleware makes the app's metrics current for the request, which
is how :func:`count_scim` and :func:`count_sign_in` find them without being
handed the app; outside a request (the command line) they count nothing.

Label values come from small fixed sets: route templates (never raw paths),
status codes or classes, operation names and refusal reasons. Org ids, emails
and secrets are never label values; per-org detail is in the provisioning log.

With several worker processes, every worker writes its samples to the directory
named by ``PROMETHEUS_MULTIPROC_DIR`` and ``GET /metrics`` on any worker sums
them; ``rollcall serve --workers N`` makes a fresh directory when none is set
(see docs/operations.md).
"""

import os
import re
import tempfile
import time
from contextvars import ContextVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "unmatched"
# Anything else a caller passes as an operation or reason is counted as "other",
# so a bug upstream can never turn a label into an unbounded (or secret) value.
SAFE_LABEL = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The metric families of one app, registered in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rollcall_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "rollcall_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scim = Counter(
            "rollcall_scim_operations",
            "SCIM operations, by operation and status class (2xx, 4xx, 5xx).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "rollcall_scim_rate_limited",
            "SCIM requests refused with 429 because their token was over its limit.",
            registry=self.registry,
        )
        self.sign_ins = Counter(
            "rollcall_saml_sign_ins",
            "SAML sign-ins, accepted or refused, by reason.",
            ["outcome", "reason"],
            registry=self.registry,
        )

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type; summed over all worker
        processes when running in multiprocess mode."""
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def prepare_worker_processes(workers: int) -> None:
    """Before uvicorn starts ``workers`` processes: unless the operator chose a
    directory for their samples, give them a fresh one, so that ``/metrics``
    sums every worker instead of showing whichever answered."""
    if workers > 1 and not os.environ.get(MULTIPROCESS_ENV):
        os.environ[MULTIPROCESS_ENV] = tempfile.mkdtemp(prefix="rollcall-metrics-")


current_metrics: ContextVar[Metrics | None] = ContextVar(
    "current_metrics", default=None
)


def current() -> Metrics | None:
    """The metrics of the app serving this request, if any."""
    return current_metrics.get()


def safe_label(value: str) -> str:
    return value if SAFE_LABEL.match(value) else "other"


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def count_scim(operation: str, status: int) -> None:
    """Count one SCIM operation (``create``, ``patch``...) that answered ``status``."""
    metrics = current()
    if metrics is None:
        return
    metrics.scim.labels(safe_label(operation), status_class(status)).inc()


def count_rate_limited() -> None:
    """Count one SCIM request refused because its token was over the limit."""
    metrics = current()
    if metrics is not None:
        metrics.rate_limited.inc()


def count_sign_in(accepted: bool, reason: str) -> None:
    """Count one SAML sign-in; ``reason`` is a short code such as ``replay``."""
    metrics = current()
    if metrics is None:
        return
    outcome = "accepted" if accepted else "refused"
    metrics.sign_ins.labels(outcome, safe_label(reason)).inc()


class MetricsMiddleware:
    """Counts every HTTP request by route template and status, and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.metrics = Metrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_metrics.set(self.metrics)
        started = time.perf_counter()
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            current_metrics.reset(token)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
        method = scope.get("method", "")
        method = method if method in METHODS else "OTHER"
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(seconds)
