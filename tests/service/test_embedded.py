"""The embedded mode (`make run`): SQLite, a local folder as the bucket, the same tasks in a thread."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from piiscan.api import create_app
from piiscan.api.app import ConfigurationError
from piiscan.api.serve import embedded_settings
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.workers.dispatch import ThreadDispatcher
from piiscan.workers.services import build_services

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_embedded_api_scans_with_the_same_task_code(tmp_path: Path, scanner: Scanner) -> None:
    settings = embedded_settings(
        Settings(database_url=f"sqlite:///{tmp_path / 'piiscan.db'}", local_storage_dir=str(tmp_path / "buckets"))
    )
    assert settings.embedded and settings.buckets == ["uploads"] and settings.service_problems() == []
    token = settings.hook_tokens["demo"].get_secret_value()
    services = build_services(settings, ThreadDispatcher())
    services.use_scanner(scanner)
    services.store.put("uploads", "samples/letter.png", (SAMPLES / "letter.png").read_bytes())
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(services=services)) as client:
        accepted = client.post(
            "/v1/hook/scans", json={"bucket": "uploads", "key": "samples/letter.png"}, headers=headers
        )
        assert accepted.status_code == 202, accepted.text
        url = accepted.json()["status_url"]
        deadline = time.monotonic() + 120
        doc = client.get(url, headers=headers).json()
        while doc["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
            doc = client.get(url, headers=headers).json()
    assert doc["status"] == "done" and doc["verdict"] == "personal_data"
    assert doc["report"]["source"] == "s3://uploads/samples/letter.png"
    services.db.dispose()


def test_service_refuses_default_secrets_outside_embedded_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        create_app(Settings(hook_tokens={"acme": SecretStr("changethis")}))
    message = str(info.value)
    assert "PIISCAN_WEBHOOK_SECRET" in message and "'acme'" in message
    assert "PIISCAN_BUCKETS" in message and "SQLite" in message
    good = Settings(
        database_url="postgresql+psycopg://piiscan@db/piiscan",
        hook_tokens={"acme": SecretStr("a" * 32)},
        webhook_secret=SecretStr("b" * 32),
        buckets=["uploads"],
    )
    assert good.service_problems() == []
    assert good.model_copy(update={"hook_tokens": {}}).service_problems(for_api=False) == []


def test_cli_serve_refuses_unsafe_configuration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from piiscan.cli import main
    from piiscan.settings import get_settings

    for name in ("PIISCAN_WEBHOOK_SECRET", "PIISCAN_HOOK_TOKENS", "PIISCAN_EMBEDDED"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        assert main(["serve", "--port", "1"]) == 2
        assert main(["worker"]) == 2
    finally:
        get_settings.cache_clear()
    assert "PIISCAN_WEBHOOK_SECRET" in capsys.readouterr().err


def test_embedded_reuse_writes_the_same_rows_one_statement_at_a_time(tmp_path: Path, scanner: Scanner) -> None:
    """SQLite has no data-modifying CTEs: the reuse's writes go one by one (and its upsert is SQLite's)."""
    from sqlalchemy import select

    from piiscan.perf.rescan import RecordingDispatcher
    from piiscan.store import repo
    from piiscan.store.models import ReviewItem, Scan
    from piiscan.workers import jobs

    settings = embedded_settings(
        Settings(database_url=f"sqlite:///{tmp_path / 'piiscan.db'}", local_storage_dir=str(tmp_path / "buckets"))
    )
    services = build_services(settings, RecordingDispatcher())
    services.use_scanner(scanner)
    data = (SAMPLES / "letter.png").read_bytes()
    ids = []
    for key in ("a/letter.png", "b/letter.png"):
        info = services.store.put("uploads", key, data)
        new = repo.NewUpload(
            "demo", "uploads", key, info.version, info.version_id, info.etag, info.size, "api",
            callback_url="http://127.0.0.1:9/hooks", uploader_ip="192.0.2.1",
        )  # fmt: skip
        ids.append(repo.request_scan(services.db, new)[0].id)
    assert jobs.run_scan(services, ids[0]) == "done"
    assert jobs.run_scan(services, ids[1]) == "reused"  # the local store keeps no SHA-256: downloaded, hashed
    with services.db.session() as session:
        first, second = (session.get(Scan, i) for i in ids)
        assert first is not None and second is not None and second.reused_from == first.id
        assert [(f.entity_type, f.masked, f.value_hash) for f in second.findings] == [
            (f.entity_type, f.masked, f.value_hash) for f in first.findings
        ]
        assert [v.verdict for v in second.verdicts] == [first.verdict] and len(second.deliveries) == 1
        items = {i.scan_id: i for i in session.scalars(select(ReviewItem))}
        assert items[second.id].entity_types == items[first.id].entity_types != ",,"
        assert second.upload.uploader_ip == "192.0.2.1"  # flagged: kept for a disclosure, as after the scan
    services.db.dispose()
