"""Single sign-on rules that need the database: AuthnRequests that are answered
once, the replay check shared by every instance, and the audit of refusals.

The SAML protocol itself stays in :mod:`rollcall.saml`; this module only sees
ids, times and reasons.
"""

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from rollcall.domain.audit import Actor, record
from rollcall.domain.members import SignInRefusedError
from rollcall.errors import ConflictError
from rollcall.storage import sso as store
from rollcall.storage.models import Org, utcnow

SSO_ACTOR: Final = Actor("sso", "single sign-on")
# Long enough for a person to pass the IdP's sign-in and second factor.
REQUEST_LIFETIME: Final = timedelta(minutes=20)


def remember_request(
    db: Session, org: Org, request_id: str, relay_state: str | None
) -> None:
    """Keep an AuthnRequest id so that its answer is recognised (``InResponseTo``)."""
    now = utcnow()
    store.delete_expired(db, org.id, now)
    store.add_request(db, org.id, request_id, relay_state, now + REQUEST_LIFETIME)


def answer_request(db: Session, org: Org, request_id: str) -> str | None:
    """Use up the org's outstanding request ``request_id``; return its relay state.

    :raises SignInRefusedError: no such live request in this org (``unknown_request``).
    """
    found, relay_state = store.take_request(db, org.id, request_id, utcnow())
    if not found:
        raise SignInRefusedError(
            "this sign-in was not started here, was already completed, or took too "
            "long; please start again from the sign-in link",
            "unknown_request",
        )
    return relay_state


def allow_unsolicited(org: Org) -> None:
    """An IdP-initiated sign-in passes only if the org has turned it on.

    :raises SignInRefusedError: it is off (``unsolicited``).
    """
    if not org.idp_initiated_enabled:
        raise SignInRefusedError(
            "sign-in started from the identity provider's portal is switched off for "
            "this organisation; use the organisation's sign-in link instead",
            "unsolicited",
        )


def use_assertion_once(
    db: Session, org: Org, assertion_id: str, expires_at: datetime
) -> None:
    """Record an assertion id until it expires; a second use is a replay.

    :raises SignInRefusedError: the assertion was used before (``replay``).
    """
    store.delete_expired(db, org.id, utcnow())
    try:
        store.add_seen_assertion(db, org.id, assertion_id, expires_at)
    except ConflictError:
        raise SignInRefusedError(
            "this sign-in response was already used; please sign in again", "replay"
        ) from None


def record_refusal(db: Session, org: Org, reason: str) -> None:
    """Audit a refused sign-in by its reason code; nothing of the assertion."""
    record(db, org, SSO_ACTOR, "sso.refused", reason=reason)
