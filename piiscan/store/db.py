"""Engines, sessions and migrations.

One :class:`Database` per process (engines must not cross a fork: workers build theirs in
the child). :func:`upgrade` runs the Alembic migrations programmatically under a
PostgreSQL advisory lock, so an API and several workers starting together migrate once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from piiscan.settings import Settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "alembic"
_LOCK_KEY = 0x70696973  # "piis": the advisory lock of piiscan's migrations


def make_engine(database_url: str, schema: str | None = None) -> Engine:
    url = make_url(database_url)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, pool_size=5, max_overflow=5)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed: an erased value leaves no trace
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """An engine and its session factory for this process."""

    def __init__(self, database_url: str, schema: str | None = None) -> None:
        self.url = database_url
        self.schema = schema
        self.engine = make_engine(database_url, schema)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url, settings.database_schema)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        upgrade(self.engine, self.schema)

    def reclaim(self, tables: Iterable[str]) -> None:
        """Make erased values really gone after an erasure committed. An UPDATE or DELETE leaves the old
        row version on disk: a PostgreSQL dead tuple until a VACUUM (autovacuum may wait for hours), or a
        SQLite page in the WAL until a checkpoint. VACUUM cannot run in a transaction: an autocommit
        connection of its own. Best effort: a failure is logged by type, the erasure stands."""
        names = sorted(set(tables))
        try:
            if self.engine.dialect.name == "postgresql":
                quote = self.engine.dialect.identifier_preparer.quote
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    for name in names:
                        conn.exec_driver_sql(f"VACUUM {quote(name)}")
            elif self.engine.dialect.name == "sqlite":
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as exc:  # the erasure itself is committed; the next purge run reclaims again
            log.warning("could not reclaim the space of erased rows (%s)", type(exc).__name__)

    def dispose(self) -> None:
        self.engine.dispose()


def upgrade(engine: Engine, schema: str | None = None, revision: str = "head") -> None:
    """Bring the database to ``revision``; safe to call from many processes at once."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            if schema:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        config.attributes["connection"] = conn
        config.attributes["schema"] = schema
        command.upgrade(config, revision)
