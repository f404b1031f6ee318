"""Alembic environment: one history for SQLite (batch mode) and PostgreSQL.

The database URL comes from the ``sqlalchemy.url`` option that
:func:`rollcall.storage.migrate.upgrade` sets, or else from the settings.
"""

from alembic import context
from sqlalchemy import Connection

from rollcall.config import Settings
from rollcall.storage import models  # noqa: F401  (registers the tables)
from rollcall.storage.db import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().database_url
connection = config.attributes.get("connection")


def run_with(connection_: Connection) -> None:
    context.configure(
        connection=connection_,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run_with(connection)
else:
    engine = make_engine(url)
    with engine.connect() as conn:
        run_with(conn)
    engine.dispose()
