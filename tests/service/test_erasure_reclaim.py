"""Erased values leave no old row version behind: VACUUM on PostgreSQL, a WAL checkpoint on SQLite.

The uploader's name is erased when the scan ends (an UPDATE): the old tuple keeps it on disk until a
VACUUM. The retention purge (hourly, and ``POST /v1/admin/retention/run``) reclaims it; a subject
erasure reclaims the rows it deleted."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from piiscan.settings import Settings
from piiscan.store import repo
from piiscan.store.db import Database
from piiscan.store.models import Scan
from piiscan.workers import jobs


def _made_up_name() -> str:
    return "Quillon Vexmarrow " + uuid.uuid4().hex[:10]


def _finished_upload(db: Database, name: str, key: str) -> str:
    """An upload whose raw uploader name the end of its scan erases (the UPDATE that leaves a dead tuple)."""
    new = repo.NewUpload(
        tenant="acme",
        bucket="uploads",
        key=key,
        version=f"v:{uuid.uuid4().hex}",
        version_id=uuid.uuid4().hex,
        etag=None,
        size=10,
        origin="api",
        uploader_name=name,
    )
    scan, _ = repo.request_scan(db, new)
    with db.session() as session:
        row = session.get(Scan, scan.id, with_for_update=True)
        assert row is not None
        row.status = "running"
        session.flush()
        repo.fail_scan(session, scan.id, "corrupt_file", "made up")
        assert row.upload.uploader_name is None
    return scan.id


def _pg_tuples(db: Database, table: str) -> bytes:
    """The data of every tuple of ``table`` with storage, dead ones included (pageinspect): what a
    dirty read of the table (pg_dirtyread, a page dump) would give back. VACUUM's guarantee is that an
    erased row version is no longer a tuple; the bytes of its old slot may sit in the page's free space
    until a new row is written there (only VACUUM FULL, an exclusive lock, would rewrite the file)."""
    with db.engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public"))
        conn.commit()
        qualified = f'"{db.schema}".{table}'
        pages = conn.scalar(text("SELECT pg_relation_size(CAST(:t AS regclass)) / 8192"), {"t": qualified})
        rows = [
            bytes(data)
            for n in range(int(pages or 0))
            for data in conn.scalars(
                text("SELECT t_data FROM public.heap_page_items(public.get_raw_page(:t, :n)) WHERE t_data IS NOT NULL"),
                {"t": qualified, "n": n},
            )
        ]
    return b"".join(rows)


@pytest.fixture
def no_autovacuum(db: Database) -> Iterator[None]:
    """Autovacuum off on the tables looked at, so what the test sees is what piiscan did."""
    tables = ("uploads", "findings")
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
    yield
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"ALTER TABLE {table} RESET (autovacuum_enabled)"))


def test_retention_purge_vacuums_erased_identities_on_postgresql(
    api: TestClient, db: Database, no_autovacuum: None, unique_key: Any, wait: Any
) -> None:
    name = _made_up_name()
    _finished_upload(db, name, unique_key("gone.png"))
    assert name.encode() in _pg_tuples(db, "uploads")  # the dead tuple of the erasing UPDATE
    services = api.app.state.services  # type: ignore[attr-defined]

    def purged() -> bool:
        # VACUUM keeps a dead tuple an older open transaction (of any client of this database) may still
        # see: the purge runs again until that one ended, as the hourly run would
        jobs.purge(services)
        return name.encode() not in _pg_tuples(db, "uploads")

    wait(purged, "the dead tuple to be vacuumed", timeout=90, every=0.5)


def test_subject_erasure_reclaims_on_postgresql(
    api: TestClient, db: Database, no_autovacuum: None, role_headers: dict[str, dict[str, str]]
) -> None:
    reclaimed: list[tuple[str, ...]] = []
    services = api.app.state.services  # type: ignore[attr-defined]
    original = services.db.reclaim

    def spy(tables: Any) -> None:
        reclaimed.append(tuple(tables))
        original(tables)

    services.db.reclaim = spy
    try:
        answer = api.post(
            "/v1/admin/subjects/erase",
            headers=role_headers["admin"],
            json={"kind": "email", "value": f"nobody-{uuid.uuid4().hex[:8]}@example.org"},
        )
    finally:
        del services.db.reclaim
    assert answer.status_code == 200, answer.text
    assert reclaimed and {"findings", "scans"} <= set(reclaimed[0])


def test_retention_purge_checkpoints_and_truncates_the_sqlite_wal(tmp_path: Path) -> None:
    from piiscan.workers.services import build_services

    settings = Settings(
        embedded=True,
        storage_backend="local",
        database_url=f"sqlite:///{tmp_path / 'piiscan.db'}",
        local_storage_dir=str(tmp_path / "buckets"),
        buckets=["uploads"],
    )
    services = build_services(settings, None)
    services.db.upgrade()
    keep = services.db.engine.connect()  # a reader keeps the WAL from being folded in at the last close
    try:
        name = _made_up_name()
        _finished_upload(services.db, name, "u/x.png")
        wal = tmp_path / "piiscan.db-wal"
        assert name.encode() in wal.read_bytes()
        jobs.purge(services)
        assert wal.stat().st_size == 0
        assert name.encode() not in (tmp_path / "piiscan.db").read_bytes()  # secure_delete: no stale copy
    finally:
        keep.close()
        services.db.dispose()
