"""The operator command line, ``rollcall``.

Every command builds one :class:`~rollcall.config.Settings` from the ``ROLLCALL_*``
environment, runs in one transaction and calls the domain. A refusal (a product
rule, an unreadable file, an unreachable or unmigrated database) ends as one line
on stderr and exit status 1; with ``--json`` the message is also printed on stdout
as ``{"error": "..."}``. Usage mistakes exit with status 2, as Click decides.
What commands print is in :mod:`rollcall.cli_output`, the demo org in
:mod:`rollcall.demo`; ``docs/cli.md`` lists the JSON names scripts rely on.
"""

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import click
import typer
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rollcall import cli_output as out
from rollcall import metrics
from rollcall.app import create_app
from rollcall.config import SecretMissingError, Settings
from rollcall.demo import prepare_demo
from rollcall.domain import orgs, sessions
from rollcall.domain.audit import Actor
from rollcall.errors import DomainError
from rollcall.logs import configure_logging
from rollcall.saml import sp
from rollcall.storage.db import make_engine, make_sessionmaker, unit_of_work
from rollcall.storage.migrate import is_current, upgrade

OPERATOR = Actor.operator()
MAX_METADATA_READ = sp.MAX_METADATA_BYTES + 1

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
    except SecretMissingError as exc:
        _fail(str(exc), as_json)
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
            lines = prepare_demo(db, settings)
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
        items = [out.org_json(org) for org in orgs.list_orgs(db)]
    _emit(as_json, items, out.orgs_text(items))


@org_app.command("show")
def org_show(org_id: OrgArgument, as_json: JsonOption = False) -> None:
    """Show one org."""
    with _transaction(as_json) as (db, _settings):
        data = out.org_json(orgs.get_org(db, org_id))
    _emit(as_json, data, out.org_text(data))


@org_app.command("subscription")
def org_subscription(
    org_id: OrgArgument, state: Subscription, as_json: JsonOption = False
) -> None:
    """Mark the org's subscription active or inactive."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.set_subscription(db, org, state is Subscription.ACTIVE, OPERATOR)
        data = out.org_json(org)
    _emit(as_json, data, out.org_text(data))


@domain_app.command("add")
def domain_add(org_id: OrgArgument, domain: str, as_json: JsonOption = False) -> None:
    """Add an SSO email domain to the org."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.add_domain(db, org, domain, OPERATOR)
        data = out.org_json(org)
    _emit(as_json, data, out.org_text(data))


@domain_app.command("remove")
def domain_remove(
    org_id: OrgArgument, domain: str, as_json: JsonOption = False
) -> None:
    """Remove an SSO email domain from the org."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        orgs.remove_domain(db, org, domain, OPERATOR)
        data = out.org_json(org)
    _emit(as_json, data, out.org_text(data))


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
        data = out.sso_json(org)
    _emit(as_json, data, out.sso_text(data))


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
        data = out.org_json(org)
    _emit(as_json, data, out.org_text(data))


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
            "endpoint": out.scim_endpoint(settings, org),
        }
    text = out.pairs(
        [("id", data["id"]), ("token", raw), ("endpoint", data["endpoint"])]
    )
    note = "The token is shown only now: paste it into the IdP as the Bearer token."
    _emit(as_json, data, f"{text}\n\n{note}")


@token_app.command("list")
def token_list(org_id: OrgArgument, as_json: JsonOption = False) -> None:
    """List the org's SCIM tokens (never their secrets)."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        items = [out.token_json(token) for token in orgs.list_tokens(db, org)]
    _emit(as_json, items, out.tokens_text(items))


@token_app.command("revoke")
def token_revoke(
    org_id: OrgArgument,
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID")],
    as_json: JsonOption = False,
) -> None:
    """Revoke a SCIM token at once; the IdP's next request with it gets 401."""
    with _transaction(as_json) as (db, _settings):
        org = orgs.get_org(db, org_id)
        data = out.token_json(orgs.revoke_token(db, org, token_id, OPERATOR))
    _emit(as_json, data, out.tokens_text([data]))


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
            "expires_at": out.iso(expires_at),
        }
    text = f"{data['url']}\n\nOne-time link for {email.strip()}; expires at "
    _emit(as_json, data, f"{text}{data['expires_at']}.")
