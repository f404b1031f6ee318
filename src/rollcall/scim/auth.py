"""Bearer-token authentication for ``/scim/v2/{org_id}`` (RFC 7644 §2).

A token opens only its own org: a valid token of another org, a revoked one, a
wrong one and none at all all get the same ``401`` challenge, so the answer
tells nothing about which orgs or tokens exist. An authenticated org that may
not use SCIM (no subscription, SSO or provisioning switch) gets a ``403`` that
says what is missing.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from rollcall import metrics
from rollcall.deps import DbSession
from rollcall.domain import orgs, ratelimit
from rollcall.domain.audit import Actor
from rollcall.scim.errors import RateLimitedError, UnauthorizedError
from rollcall.storage.models import Org

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rollcall"'}


@dataclass(frozen=True)
class Caller:
    """The org a SCIM request acts on and the actor recorded in its audit."""

    org: Org
    actor: Actor
    base_url: str


def authenticate(request: Request, org_id: str, db: DbSession) -> Org:
    """The org ``org_id`` if the request carries one of its live tokens.

    Records the org on ``request.state`` for the request log and the
    provisioning log.

    :raises UnauthorizedError: no bearer token, or not a live token of the org.
    """
    raw = _bearer_token(request.headers.get("authorization", ""))
    if raw:
        enforce_rate_limit(request, raw)
    found = orgs.authenticate_caller(db, org_id, raw) if raw else None
    if found is None:
        raise UnauthorizedError(
            "a valid bearer token of this org is required "
            "(Authorization: Bearer <token>)",
            headers=CHALLENGE,
        )
    token, org = found
    request.state.org_public_id = org.public_id
    request.state.scim_org_id = org.id
    request.state.scim_actor = Actor("idp", token.public_id)
    return org


def enforce_rate_limit(request: Request, raw: str) -> None:
    """Count the request against its token's limit per minute, shared by every
    instance; over it, answer ``429`` with ``Retry-After``.

    Most requests are counted in this process alone
    (:class:`rollcall.domain.ratelimit.LocalCounts`). The others add this
    process's count to the shared row in a short transaction of their own,
    before the request's transaction touches the database: on SQLite that
    transaction holds the write lock until it ends, and on PostgreSQL the
    counter row stays locked only for this moment. The key is the token's hash,
    known before the lookup.

    :raises RateLimitedError: the token is over ``scim_rate_limit_per_minute``.
    """
    limit = request.app.state.settings.scim_rate_limit_per_minute
    if limit <= 0:
        return
    key = "scim:" + orgs.hash_secret(raw)[:48]
    counts: ratelimit.LocalCounts = request.app.state.scim_rate_counts
    decision = counts.count_locally(key, limit)
    if decision is None:
        with request.app.state.sessionmaker.begin() as db:
            decision = counts.count_shared(db, key, limit)
    if not decision.allowed:
        metrics.count_rate_limited()
        raise RateLimitedError(
            f"this token sent more than {limit} requests this minute; "
            f"retry after {decision.retry_after} seconds",
            headers={"Retry-After": str(decision.retry_after)},
        )


def _bearer_token(header: str) -> str | None:
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def _caller(request: Request, org: Org, *, writing: bool) -> Caller:
    orgs.require_provisioning(org, writing=writing)
    base_url = f"{request.app.state.settings.public_url}/scim/v2/{org.public_id}"
    return Caller(org=org, actor=request.state.scim_actor, base_url=base_url)


async def reading_caller(
    request: Request, org: Annotated[Org, Depends(authenticate)]
) -> Caller:
    """A caller that may read the org's members. (``async``, though it awaits
    nothing and does no I/O, to spare the thread-pool hop FastAPI makes for a
    plain function.)"""
    return _caller(request, org, writing=False)


async def writing_caller(
    request: Request, org: Annotated[Org, Depends(authenticate)]
) -> Caller:
    """A caller that may change the org's members (needs an active subscription)."""
    return _caller(request, org, writing=True)


Reader = Annotated[Caller, Depends(reading_caller)]
Writer = Annotated[Caller, Depends(writing_caller)]
