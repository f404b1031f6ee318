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
AUDITED_REFUSALS_PER_MINUTE: Final = 20
REFUSALS_CAPPED: Final = "sso.refusals_capped"
# Audit actions about sign-in attempts rather than changes (the Logs page filter).
REFUSAL_ACTIONS: Final = ("sso.refused", REFUSALS_CAPPED)


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
    """Audit a refused sign-in by its reason code; nothing of the assertion.

    The ACS is public, so anyone can make refusals: only the first
    :data:`AUDITED_REFUSALS_PER_MINUTE` of an org in a minute are audited, then
    one entry saying the rest are not, so real changes are not pushed out of
    the audit log. Every refusal is still counted in the metrics (by the route).
    """
    now = utcnow().timestamp()
    seen = store.count_refusal(db, org.id, int(now // 60) * 60)
    if seen <= AUDITED_REFUSALS_PER_MINUTE:
        record(db, org, SSO_ACTOR, "sso.refused", reason=reason)
    elif seen == AUDITED_REFUSALS_PER_MINUTE + 1:
        record(
            db,
            org,
            SSO_ACTOR,
            REFUSALS_CAPPED,
            note="further refusals this minute are counted in the metrics only",
        )
