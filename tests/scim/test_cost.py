"""What the lookups and changes IdPs send most cost the database, over HTTP.

Each request runs in one transaction with as few statements as it needs; the
org's SSO domains and SAML settings are read only by requests that use them.
The provisioning log's occasional pruning is left out of the counts.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from tests.scim.conftest import SCIMClient, patch_body


@contextmanager
def statements_run(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements (BEGIN left out) and, last, the number of commits."""
    seen: list[str] = []
    commits: list[str] = []

    def on_execute(*args: Any) -> None:
        statement = " ".join(str(args[2]).split())
        if not statement.upper().startswith("BEGIN"):
            seen.append(statement)

    def on_commit(*_args: Any) -> None:
        commits.append("COMMIT")

    event.listen(app.state.engine, "before_cursor_execute", on_execute)
    event.listen(app.state.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(app.state.engine, "before_cursor_execute", on_execute)
        event.remove(app.state.engine, "commit", on_commit)
        seen[:] = [s for s in seen if not _is_log_pruning(s)] + commits


def _is_log_pruning(statement: str) -> bool:
    return "provisioning_log" in statement and not statement.startswith("INSERT")


def test_a_username_lookup_is_one_transaction_of_three_statements(
    scim: SCIMClient, app: FastAPI
) -> None:
    app.state.settings.scim_rate_limit_per_minute = 0
    scim.create("ada@example.com")

    with statements_run(app) as run:
        found = scim.get("/Users", params={"filter": 'userName eq "ada@example.com"'})

    assert found.status_code == 200
    assert found.json()["totalResults"] == 1
    assert len(run) == 4, run
    assert run[-1] == "COMMIT"
    assert "scim_tokens" in run[0] and "orgs" in run[0]
    assert "FROM members" in run[1]
    assert run[2].startswith("INSERT INTO provisioning_log")
    assert not any("org_domains" in s or "saml_configs" in s for s in run)


def test_a_patch_is_one_transaction_of_five_statements(
    scim: SCIMClient, app: FastAPI
) -> None:
    app.state.settings.scim_rate_limit_per_minute = 0
    created = scim.create("ada@example.com")
    rename = patch_body({"op": "replace", "path": "name.givenName", "value": "Ad"})

    with statements_run(app) as run:
        patched = scim.patch(f"/Users/{created['id']}", rename)

    assert patched.status_code == 200
    assert patched.json()["name"]["givenName"] == "Ad"
    assert run.count("COMMIT") == 1
    assert not any("SAVEPOINT" in s.upper() for s in run), run
    assert not any("org_domains" in s or "saml_configs" in s for s in run)
    assert len(run) == 6, run
