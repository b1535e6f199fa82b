"""Alembic environment: migrations run on the connection :func:`piiscan.store.db.upgrade` hands over.

To write a new migration against a scratch database::

    .venv/bin/python -c "from alembic.config import Config; from alembic import command; \
c = Config(); c.set_main_option('script_location', 'piiscan/store/alembic'); \
c.set_main_option('sqlalchemy.url', 'sqlite:///var/scratch.db'); command.revision(c, 'what', autogenerate=True)"
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from piiscan.store.models import Base

config = context.config


def _run(connection: Connection) -> None:
    schema = config.attributes.get("schema")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table_schema=schema,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///var/piiscan.db")
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("piiscan's migrations run online only (piiscan upgrades its database at start)")
run_migrations_online()
