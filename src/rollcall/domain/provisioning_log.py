"""The provisioning log: one short line per SCIM request, for the org's admin.

IdPs show their admins little when a request fails, so Rollcall keeps what each
request did and how it ended: time, request id, method, operation, member id,
status and the error detail. Never a request body or a token. Each org keeps
its newest ``keep`` entries; older ones are pruned every :data:`PRUNE_EVERY`
inserts rather than on every request.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from rollcall.storage import queries, writes
from rollcall.storage.models import Org, ProvisioningLogEntry

PRUNE_EVERY = 50
MAX_DETAIL = 1024
Entry = ProvisioningLogEntry


@dataclass(frozen=True)
class RequestSummary:
    """What is recorded of one SCIM request."""

    request_id: str
    method: str
    operation: str
    member_scim_id: str | None
    status: int
    detail: str | None


def record_request(
    db: Session, org_id: int, summary: RequestSummary, *, keep: int
) -> ProvisioningLogEntry:
    """Add ``summary`` to the org's log, and now and then drop entries past ``keep``."""
    entry = ProvisioningLogEntry(
        org_id=org_id,
        request_id=summary.request_id[:64],
        method=summary.method[:8],
        operation=summary.operation[:32],
        member_scim_id=(summary.member_scim_id or None) and summary.member_scim_id[:36],
        status=summary.status,
        detail=summary.detail[:MAX_DETAIL] if summary.detail else None,
    )
    writes.add_provisioning_log(db, entry)
    db.flush()
    if entry.id % PRUNE_EVERY == 0:
        prune(db, org_id, keep=keep)
    return entry


def prune(db: Session, org_id: int, *, keep: int) -> None:
    """Delete the org's entries older than its ``keep`` newest."""
    oldest_kept = queries.oldest_kept_log_id(db, org_id, keep)
    if oldest_kept is not None:
        writes.prune_provisioning_log(db, org_id, oldest_kept)


def recent(
    db: Session, org: Org, *, limit: int = 100, failed_only: bool | None = None
) -> Sequence[ProvisioningLogEntry]:
    """The org's newest entries first; ``failed_only`` picks failures or successes."""
    return queries.list_provisioning_log(
        db, org.id, limit=limit, failed_only=failed_only
    )
