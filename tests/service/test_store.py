"""The store on PostgreSQL: migrations match the models, the upgrade is repeatable, dedupe holds under races."""

from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from piiscan.store import repo
from piiscan.store.db import Database
from piiscan.store.models import Base


def test_migrations_match_the_models_and_upgrade_is_idempotent(db: Database) -> None:
    db.upgrade()  # a second start migrates nothing
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    tables = set(inspect(db.engine).get_table_names(schema=db.schema))
    assert {"uploads", "scans", "findings", "verdicts", "webhook_deliveries", "alembic_version"} <= tables


def test_racing_requests_for_one_version_create_one_scan(db: Database) -> None:
    new = repo.NewUpload(
        tenant="acme",
        bucket="uploads",
        key=f"race/{uuid.uuid4().hex}.png",
        version="v:1",
        version_id="1",
        etag=None,
        size=1,
        origin="s3_event",
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: repo.request_scan(db, new), range(16)))
    assert len({scan.id for scan, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    other_version = repo.request_scan(db, dataclasses.replace(new, version="v:2", version_id="2"))
    assert other_version[1] and other_version[0].id != results[0][0].id
