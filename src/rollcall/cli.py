"""The operator command line, ``rollcall``.

Every command builds one :class:`~rollcall.config.Settings` from the ``ROLLCALL_*``
environment, runs in one transaction and calls the domain. A refusal (a product
rule, an unreadable file, an unreachable or unmigrated database) ends as one line
on stderr and exit status 1; with ``--json`` the message is also printed on stdout
as ``{"error": "..."}``. Usage mistakes exit with status 2, as Click decides.
The JSON names are an interface that scripts rely on; ``docs/cli.md`` lists them.
"""

import hashlib
import json
import sys
from base64 import b64decode
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import click
import typer
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.app import create_app
from rollcall.config import Settings
from rollcall.domain import orgs, sessions
from rollcall.domain.audit import Actor
from rollcall.errors import DomainError, ForbiddenError
from rollcall.logs import configure_logging
from rollcall.saml import devidp, sp
from rollcall.storage.db import make_engine, make_sessionmaker, unit_of_work
from rollcall.storage.migrate import is_current, upgrade
from rollcall.storage.models import Org, ScimToken

OPERATOR = Actor.operator()
MAX_METADATA_READ = sp.MAX_METADATA_BYTES + 1
DEMO_ORG = "Demo Company"
DEMO_DOMAIN = "example.com"
DEMO_ADMIN = "admin@example.com"

app = typer.Typer(
    name="rollcall",
    help="Operate Rollcall: orgs, single sign-on, SCIM tokens, sign-in links, server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
domain_app = typer.Typer(help="An org's SSO email domains.", no_args_is_help=True)
token_app = typer.Typer(help="SCIM bearer tokens of an org.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
org_app.add_typer(domain_app, name="domain")
app.add_typer(token_app, name="scim-token")

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object (a list for lists).")
]
OrgArgument = Annotated[str, typer.Argument(metavar="ORG", help="The org's public id.")]
HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535)]


class Subscription(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class Switch(StrEnum):
    ON = "on"
    OFF = "off"


class CommandError(Exception):
    """A failure outside the product rules (a file, the database), in one line."""


def main() -> None:
    """Entry point of the ``rollcall`` script and of ``python -m rollcall``."""
    app(prog_name="rollcall")


def app_from_environment() -> FastAPI:
    """The ASGI app of one uvicorn worker process, configured from the environment.

    ``serve --workers N`` hands uvicorn this factory's import path, because a
    worker process cannot receive an app object from its parent.
    """
    return create_app(Settings())


# Plumbing: errors, the database, output.


def _fail(message: str, as_json: bool) -> NoReturn:
    typer.echo(f"rollcall: {message}", err=True)
    if as_json:
        typer.echo(json.dumps({"error": message}))
    raise typer.Exit(1)


@contextmanager
def _reported(as_json: bool) -> Iterator[None]:
    """Turn any failure into one line and exit status 1, never a traceback."""
    try:
        yield
    except click.exceptions.Exit:
        raise
    except (DomainError, CommandError) as exc:
        _fail(str(exc), as_json)
    except ValidationError as exc:
        _fail(_settings_problem(exc), as_json)
    except SQLAlchemyError as exc:
        _fail(f"the database cannot be used: {_first_line(exc)}", as_json)
    except Exception as exc:
        _fail(f"unexpected {type(exc).__name__}: {_first_line(exc)}", as_json)


def _settings_problem(exc: ValidationError) -> str:
    problems = [
        f"ROLLCALL_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}"
        for err in exc.errors()
    ]
    return "invalid configuration: " + "; ".join(problems)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _database(settings: Settings) -> Iterator[Engine]:
    """An engine on the configured database, which must be fully migrated."""
    engine = make_engine(settings.database_url)
    try:
        if not is_current(engine):
            raise CommandError(
                "the database is not migrated to this version's schema; run "
                "`rollcall db upgrade` first"
            )
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _transaction(as_json: bool) -> Iterator[tuple[Session, Settings]]:
    """One command's settings and unit of work; failures are reported and exit."""
    with _reported(as_json):
        settings = Settings()
        with (
            _database(settings) as engine,
            unit_of_work(make_sessionmaker(engine)) as db,
        ):
            yield db, settings


def _emit(as_json: bool, data: object, text: str) -> None:
    typer.echo(json.dumps(data) if as_json else text)


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() if moment is not None else None


def _pairs(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _scim_endpoint(settings: Settings, org: Org) -> str:
    return f"{settings.public_url}/scim/v2/{org.public_id}"


# Renderings: the JSON names are stable (docs/cli.md).


def _org_json(org: Org) -> dict[str, Any]:
    return {
        "id": org.public_id,
        "name": org.name,
        "domains": org.domain_names,
        "subscription_active": org.subscription_active,
        "sso_configured": org.saml is not None,
        "idp_entity_id": org.saml.idp_entity_id if org.saml is not None else None,
        "provisioning_enabled": org.provisioning_enabled,
        "created_at": _iso(org.created_at),
    }


def _org_text(data: dict[str, Any]) -> str:
    sso = f"configured ({data['idp_entity_id']})" if data["sso_configured"] else "no"
    return _pairs(
        [
            ("id", data["id"]),
            ("name", data["name"]),
            ("domains", ", ".join(data["domains"]) or "(none)"),
            ("subscription", "active" if data["subscription_active"] else "inactive"),
            ("sso", sso),
            ("provisioning", "on" if data["provisioning_enabled"] else "off"),
            ("created", data["created_at"]),
        ]
    )


def _orgs_text(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no orgs yet; create one with `rollcall org create`"
    rows = [
        [
            o["id"],
            o["name"],
            "active" if o["subscription_active"] else "inactive",
            "yes" if o["sso_configured"] else "no",
            "on" if o["provisioning_enabled"] else "off",
            ", ".join(o["domains"]),
        ]
        for o in items
    ]
    header = ["ID", "NAME", "SUBSCRIPTION", "SSO", "PROVISIONING", "DOMAINS"]
    return _table(header, rows)


def _fingerprint(certificate: str) -> str:
    digest = hashlib.sha256(b64decode(certificate)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _sso_json(org: Org) -> dict[str, Any]:
    saml = org.saml
    assert saml is not None
    return {
        "org": org.public_id,
        "entity_id": saml.idp_entity_id,
        "sso_url": saml.sso_url,
        "sso_binding": saml.sso_binding,
        "certificates": [{"sha256": _fingerprint(c)} for c in saml.certificates],
    }


def _sso_text(data: dict[str, Any]) -> str:
    rows = [
        ("org", data["org"]),
        ("idp entity id", data["entity_id"]),
        ("sso url", data["sso_url"]),
        ("sso binding", data["sso_binding"]),
    ]
    rows += [("certificate", f"SHA-256 {c['sha256']}") for c in data["certificates"]]
    return _pairs(rows)


def _token_json(token: ScimToken) -> dict[str, Any]:
    return {
        "id": token.public_id,
        "hint": token.hint,
        "created_at": _iso(token.created_at),
        "created_by": token.created_by,
        "last_used_at": _iso(token.last_used_at),
        "revoked_at": _iso(token.revoked_at),
    }


def _tokens_text(items: list[dict[str, Any]]) -> str:
    if not items:
        return "no SCIM tokens; create one with `rollcall scim-token create ORG`"
    rows = [
        [
            t["id"],
            "..." + t["hint"],
            t["created_at"],
            t["last_used_at"] or "never",
            "revoked " + t["revoked_at"] if t["revoked_at"] else "live",
        ]
        for t in items
    ]
    return _table(["ID", "ENDS WITH", "CREATED", "LAST USED", "STATUS"], rows)


# The server.


@app.command()
def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes.")
    ] = 1,
    migrate_first: Annotated[
        bool,
        typer.Option("--migrate", help="Run `db upgrade` before serving."),
    ] = False,
) -> None:
    """Serve Rollcall over HTTP. The database must be migrated (see --migrate)."""
    with _reported(False):
        settings = Settings()
        settings.check_secrets()
        if settings.dev_idp_enabled:
            raise CommandError(
                "ROLLCALL_DEV_IDP_ENABLED signs anyone in and is for `rollcall demo` "
                "only; unset it to serve"
            )
        if migrate_first:
            upgrade(settings.database_url)
        with _database(settings):
            pass
    _run_server(settings, host, port, workers)


def _run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    configure_logging(settings)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
        return
    metrics.prepare_worker_processes(workers)
    uvicorn.run(
        f"{__name__}:{app_from_environment.__name__}",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
    )


@app.command()
def demo(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Prepare a demo org with a development IdP and a SCIM token, then serve.

    Idempotent: a second run reuses the "Demo Company" org and issues a fresh
    token and sign-in link. Refused when ROLLCALL_ENVIRONMENT=production.
    """
    with _reported(False):
        settings = _demo_settings(host, port)
        upgrade(settings.database_url)
        with (
            _database(settings) as engine,
            unit_of_work(make_sessionmaker(engine)) as db,
        ):
            lines = _prepare_demo(db, settings)
    typer.echo("\n".join(lines))
    _run_server(settings, host, port, workers=1)


def _demo_settings(host: str, port: int) -> Settings:
    settings = Settings(dev_idp_enabled=True)
    if settings.is_production:
        raise CommandError(
            "rollcall demo switches on a development IdP that signs anyone in; "
            "it is refused when ROLLCALL_ENVIRONMENT=production"
        )
    if "public_url" in settings.model_fields_set:
        return settings
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    return settings.model_copy(update={"public_url": f"http://{shown}:{port}"})


def _prepare_demo(db: Session, settings: Settings) -> list[str]:
    """Create or refresh the demo org; the lines to print about it."""
    org = next((o for o in orgs.list_orgs(db) if o.name == DEMO_ORG), None)
    if org is None:
        org = orgs.create_org(db, DEMO_ORG, [DEMO_DOMAIN], OPERATOR)
    orgs.add_domain(db, org, DEMO_DOMAIN, OPERATOR)
    if not org.subscription_active:
        orgs.set_subscription(db, org, True, OPERATOR)
    orgs.configure_sso(db, org, devidp.idp_settings(settings), OPERATOR)
    if not org.provisioning_enabled:
        orgs.set_provisioning(db, org, True, OPERATOR)
    _token, raw = orgs.issue_token(db, org, OPERATOR)
    return _demo_text(settings, org, raw, _demo_admin_link(db, settings, org))


def _demo_admin_link(db: Session, settings: Settings, org: Org) -> str:
    try:
        raw, _expires_at, _member = sessions.issue_admin_link(
            db, org, DEMO_ADMIN, minutes=settings.admin_link_minutes, actor=OPERATOR
        )
    except ForbiddenError as exc:
        return f"(none: {exc.detail})"
    minutes = settings.admin_link_minutes
    return (
        f"{settings.public_url}/admin-link/{raw}\n"
        f"{'':17}(one-time, for {DEMO_ADMIN}, owner; valid {minutes} minutes)"
    )


def _demo_text(settings: Settings, org: Org, token: str, admin_link: str) -> list[str]:
    base = settings.public_url
    endpoint = _scim_endpoint(settings, org)
    user = json.dumps(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "grace@example.com",
            "name": {"givenName": "Grace", "familyName": "Hopper"},
            "emails": [{"value": "grace@example.com", "primary": True}],
        }
    )
    auth = f"-H 'Authorization: Bearer {token}'"
    return [
        "",
        "!! DEVELOPMENT IdP ENABLED: it signs in ANY email you type. For this demo",
        "!! only; `rollcall serve` never enables it.",
        "",
        f"Org              {org.name} (id {org.public_id}), SSO domain {DEMO_DOMAIN}",
        f"Dashboard        {base}/orgs/{org.public_id}/team",
        f"Admin sign-in    {admin_link}",
        f"SSO sign-in      {base}/sso/{org.public_id}/login",
        f"{'':17}(the development IdP: type any @{DEMO_DOMAIN} address)",
        f"SCIM endpoint    {endpoint}",
        f"SCIM token       {token}",
        f"{'':17}(shown once; every demo run issues a new one)",
        "",
        "Try SCIM:",
        f"  curl -s {auth} '{endpoint}/Users'",
        f"  curl -s -X POST {auth} -H 'Content-Type: application/scim+json' \\",
        f"       -d '{user}' '{endpoint}/Users'",
        "",
        f"Serving on {base} (Ctrl+C stops it).",
    ]


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to this version's schema (once per release)."""
    with _reported(False):
        upgrade(Settings().database_url)
    typer.echo("the database is at this version's schema")


# Orgs.


@org_app.command("create")
def org_create(
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    domains: Annotated[
        list[str],
        typer.Option("--domain", help="An SSO email domain; repeat for more."),
    ],
    as_json: JsonOption = False,
) -> None:
    """Create an org with its SSO email domains."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.create_org(db, name, domains, OPERATOR)
        data = {"id": org.public_id, "name": org.name, "domains": org.domain_names}
    text = f"created org {data['id']} ({data['name']}), domains: " + ", ".join(
        data["domains"]
    )
    _emit(as_json, data, text)


@org_app.command("list")
def org_list(as_json: JsonOption = False) -> None:
    """List every org with its subscription, SSO and provisioning."""
    with _transaction(as_json) as (db, _settings):
        items = [_org_json(org) for org in orgs.list_orgs(db)]
    _emit(as_json, items, _orgs_text(items))


@org_app.command("show")
def org_show(org_id: OrgArgument, as_json: JsonOption = False) -> None:
    """Show one org."""
    with _transaction(as_json) as (db, _settings):
        data = _org_json(orgs.get_org(db, org_id))
    _emit(as_json, data, _org_text(data))


@org_app.command("subscription")
def org_subscription(
    org_id: OrgArgument, state: Subscription, as_json: JsonOption = False
) -> None:
    """Mark the org's subscription active or inactive."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.set_subscription(db, org, state is Subscription.ACTIVE, OPERATOR)
        data = _org_json(org)
    _emit(as_json, data, _org_text(data))


@domain_app.command("add")
def domain_add(org_id: OrgArgument, domain: str, as_json: JsonOption = False) -> None:
    """Add an SSO email domain to the org."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.add_domain(db, org, domain, OPERATOR)
        data = _org_json(org)
    _emit(as_json, data, _org_text(data))


@domain_app.command("remove")
def domain_remove(
    org_id: OrgArgument, domain: str, as_json: JsonOption = False
) -> None:
    """Remove an SSO email domain from the org."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.remove_domain(db, org, domain, OPERATOR)
        data = _org_json(org)
    _emit(as_json, data, _org_text(data))


@org_app.command("sso")
def org_sso(
    org_id: OrgArgument,
    metadata: Annotated[
        Path,
        typer.Option(
            "--idp-metadata",
            metavar="FILE",
            help="The IdP's SAML metadata XML file ('-' reads standard input).",
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Configure SAML single sign-on from the IdP's metadata (or replace it)."""
    with _reported(as_json):
        idp = sp.parse_idp_metadata(_read_metadata(metadata))
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.configure_sso(db, org, idp, OPERATOR)
        data = _sso_json(org)
    _emit(as_json, data, _sso_text(data))


def _read_metadata(path: Path) -> str:
    # Read at most one byte past the limit: parse_idp_metadata refuses the rest.
    try:
        if str(path) == "-":
            raw = sys.stdin.buffer.read(MAX_METADATA_READ)
        else:
            with path.open("rb") as file:
                raw = file.read(MAX_METADATA_READ)
        return raw.decode("utf-8-sig")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text, so not IdP metadata") from exc


@org_app.command("provisioning")
def org_provisioning(
    org_id: OrgArgument, state: Switch, as_json: JsonOption = False
) -> None:
    """Switch SCIM provisioning on (needs a subscription and SSO) or off."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.set_provisioning(db, org, state is Switch.ON, OPERATOR)
        data = _org_json(org)
    _emit(as_json, data, _org_text(data))


# SCIM tokens and sign-in links.


@token_app.command("create")
def token_create(org_id: OrgArgument, as_json: JsonOption = False) -> None:
    """Issue a SCIM token; its secret is printed now and never again."""
    with _transaction(as_json) as (db, settings):
        org = orgs.get_org(db, org_id)
        token, raw = orgs.issue_token(db, org, OPERATOR)
        data = {
            "id": token.public_id,
            "token": raw,
            "endpoint": _scim_endpoint(settings, org),
        }
    text = _pairs([("id", data["id"]), ("token", raw), ("endpoint", data["endpoint"])])
    note = "The token is shown only now: paste it into the IdP as the Bearer token."
    _emit(as_json, data, f"{text}\n\n{note}")


@token_app.command("list")
def token_list(org_id: OrgArgument, as_json: JsonOption = False) -> None:
    """List the org's SCIM tokens (never their secrets)."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        items = [_token_json(token) for token in orgs.list_tokens(db, org)]
    _emit(as_json, items, _tokens_text(items))


@token_app.command("revoke")
def token_revoke(
    org_id: OrgArgument,
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a SCIM token at once; the IdP's next request with it gets 401."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        data = _token_json(orgs.revoke_token(db, org, token_id, OPERATOR))
    _emit(as_json, data, _tokens_text([data]))


@app.command("admin-link")
def admin_link(
    org_id: OrgArgument,
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    as_json: JsonOption = False,
) -> None:
    """Issue a one-time sign-in link; a new email becomes the org's owner."""
    with _transaction(as_json) as (db, settings):
        org = orgs.get_org(db, org_id)
        raw, expires_at, _member = sessions.issue_admin_link(
            db, org, email, minutes=settings.admin_link_minutes, actor=OPERATOR
        )
        data = {
            "url": f"{settings.public_url}/admin-link/{raw}",
            "expires_at": _iso(expires_at),
        }
    text = f"{data['url']}\n\nOne-time link for {email.strip()}; expires at "
    _emit(as_json, data, f"{text}{data['expires_at']}.")
