"""piiscan's own privacy, judged end to end on real services.

Known values (an e-mail, a phone, an IBAN, a name, a card number) are planted in uploads (a PNG
that is OCRed, a PDF with a text layer, a DOCX) and in the uploader identity the hook sends. The
whole service path runs: hook -> broker -> a real worker -> review queue -> reveal -> reviewer's
report and package -> abuse report -> priority rescan -> subject access -> statistics, metrics ->
retention purge. Then every table of this module's PostgreSQL schema, the API's and the worker's
log output, every broker command of this run's queues (a Redis MONITOR connection) and every API
response (except the reveal, which is the point of a reveal) are searched for the values, raw and
lightly reformatted: there must be none.

The module has its own schema, queue and worker, and (when ``redis-server`` is installed) a private
Redis as its broker, so the dump and the MONITOR hold this test's data only, the shared Redis is not
slowed by a MONITOR, and the retention purge (on a fixed clock 800 days ahead) touches nothing of the
other tests.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, text

from piiscan.settings import Grant, Settings
from piiscan.store.db import Database
from piiscan.store.models import Scan, VerdictRow, utcnow
from piiscan.synth.render import image_bytes, text_docx, text_image, text_pdf
from tests.service.conftest import (
    ADMIN_TOKEN,
    DATABASE_URL,
    REVIEWER_TOKEN,
    RUN_ID,
    TOKEN,
    Receiver,
    free_port,
    running_worker,
    wait_for,
)

NAME = "Ingrid Vasquez"
EMAIL = "ingrid.vasquez@example.net"
PHONE = "+1 415 555 0134"
IBAN = "DE89 3704 0044 0532 0130 00"
CARD = "4111 1111 1111 1111"
LINES = [f"Customer: {NAME}", f"E-mail: {EMAIL}", f"Phone: {PHONE}", f"IBAN: {IBAN}", f"Card: {CARD}"]


def variants() -> dict[str, set[str]]:
    """Each planted value as written, and lightly reformatted: case, spacing, dashes, digits only."""
    out: dict[str, set[str]] = {}
    for value in (NAME, EMAIL, PHONE, IBAN, CARD):
        forms = {value, value.upper(), value.replace(" ", ""), value.replace(" ", "-"), value.replace(" ", ".")}
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) >= 7:
            forms |= {digits, digits[-10:]}
        out[value] = {f.casefold() for f in forms}
    out[NAME] |= {"vasquez, ingrid", "vasquez ingrid", "vasquez"}
    out[EMAIL] |= {"ingrid.vasquez", "ingrid. vasquez@example.net"}
    out[PHONE] |= {"415-555-0134", "(415) 555-0134", "555-0134", "555 0134"}
    return out


def hits(haystack: str) -> list[str]:
    """Every variant found in ``haystack`` (case-folded; long ones also with all separators removed)."""
    folded = haystack.casefold()
    squeezed = re.sub(r"[^0-9a-z@]", "", folded)
    found = []
    for value, forms in variants().items():
        for form in forms:
            bare = re.sub(r"[^0-9a-z@]", "", form)
            # separators dropped: only long forms, so hex hashes and timestamps cannot match by chance
            if form in folded or (len(bare) >= 10 and bare in squeezed):
                found.append(f"{value!r} as {form!r}")
    return found


@dataclass
class Env:
    settings: Settings
    api: TestClient
    db: Database
    worker_log: Path
    api_log: io.StringIO
    broker: list[str]
    responses: list[str] = field(default_factory=list)

    def call(self, method: str, path: str, headers: dict[str, str], *, keep: bool = True, **kw: Any) -> Any:
        response = self.api.request(method, path, headers=headers, **kw)
        assert response.status_code < 400, (path, response.status_code, response.text[:500])
        if keep:
            self.responses.append(response.text)
        return response


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
REVIEWER = {"Authorization": f"Bearer {REVIEWER_TOKEN}"}
HOOK = {"Authorization": f"Bearer {TOKEN}"}


def _monitor(url: str, queues: tuple[str, ...], out: list[str], stop: threading.Event) -> threading.Thread:
    """Record every Redis command (that names one of ``queues``, on a shared Redis)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=None)

    def run() -> None:
        with client.monitor() as monitor:
            try:
                for command in monitor.listen():
                    if stop.is_set():
                        return
                    line = str(command.get("command", ""))
                    if not queues or any(q in line for q in queues):
                        out.append(line)
            except redis.RedisError:
                if not stop.is_set():
                    out.append("MONITOR FAILED")
                    raise

    thread = threading.Thread(target=run, daemon=True, name="redis-monitor")
    thread.start()
    return thread


def _task_arguments(lines: list[str]) -> list[Any]:
    """The (args, kwargs) of every task message the broker saw (JSON bodies, base64 in kombu's envelope)."""
    out = []
    for line in lines:
        for match in re.finditer(r'"body":\s*"([A-Za-z0-9+/=]+)"', line.replace('\\"', '"')):
            body = json.loads(base64.b64decode(match.group(1)))
            if isinstance(body, list):  # a task (control messages between workers are objects)
                out.append((body[0], body[1]))
    return out


def _decoded(lines: list[str]) -> str:
    """The broker lines plus every base64 message body in them, decoded (kombu wraps bodies)."""
    parts = list(lines)
    for line in lines:
        for match in re.finditer(r'"body":\s*"([A-Za-z0-9+/=]+)"', line.replace('\\"', '"')):
            try:
                parts.append(base64.b64decode(match.group(1)).decode("utf-8", "replace"))
            except ValueError:
                continue
    return "\n".join(parts)


@pytest.fixture(scope="module")
def broker_url(service_settings: Settings) -> Iterator[str]:
    """A private ``redis-server`` on a free loopback port (the shared broker's db otherwise)."""
    import shutil
    import subprocess

    server = shutil.which("redis-server")
    if server is None or not service_settings.broker_url.startswith("redis"):
        yield service_settings.broker_url
        return
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        def up() -> bool:
            try:
                return bool(redis.Redis(port=port, socket_timeout=1).ping())
            except redis.RedisError:
                return False

        wait_for(up, "the private redis-server", timeout=30)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def env(
    service_settings: Settings,
    broker_url: str,
    s3: Any,
    receiver: Receiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Env]:
    schema = f"piiscan_priv_{RUN_ID}"
    settings = service_settings.model_copy(
        update={
            "broker_url": broker_url,
            "database_schema": schema,
            "task_queue": f"piiscan-priv-{RUN_ID}",
            "evidence_keys": {"k1": SecretStr("evidence-key-one-" + uuid.uuid4().hex)},
            "evidence_key_id": "k1",
            "stats_min_count": 2,
            "admin_tokens": {ADMIN_TOKEN: Grant(name="dee", tenants=["*"])},
        }
    )
    database = Database.from_settings(settings)
    database.upgrade()
    broker: list[str] = []
    stop = threading.Event()
    private = broker_url != service_settings.broker_url
    queues = () if private else (settings.task_queue, settings.priority_queue)
    monitor = _monitor(settings.broker_url, queues, broker, stop)
    api_log = io.StringIO()
    handler = logging.StreamHandler(api_log)
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    log_path = tmp_path_factory.mktemp("privacy-worker") / "worker.log"
    try:
        from piiscan.api import create_app

        with (
            running_worker(settings, log_path, f"piiscan-priv-{RUN_ID}@localhost"),
            TestClient(create_app(settings)) as client,
        ):
            yield Env(settings, client, database, log_path, api_log, broker)
    finally:
        stop.set()
        import redis

        redis.Redis.from_url(settings.broker_url).ping()  # wakes the monitor so it sees the stop
        monitor.join(timeout=5)
        root.removeHandler(handler)
        root.setLevel(saved_level)
        database.dispose()
        with Database(DATABASE_URL).engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _upload(env: Env, s3: Any, receiver: Receiver, name: str, data: bytes, uploader: dict[str, Any]) -> str:
    key = f"u/priv/{uuid.uuid4().hex[:8]}/{name}"  # in acme's scope (uploads/u/)
    put = s3.put_object(Bucket="uploads", Key=key, Body=data)
    body = {
        "bucket": "uploads",
        "key": key,
        "version_id": put["VersionId"],
        "visibility": "public",
        "callback_url": receiver.url,
        "uploader": uploader,
    }
    return str(env.call("POST", "/v1/hook/scans", HOOK, json=body).json()["scan_id"])


def _done(env: Env, scan_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        doc: dict[str, Any] = env.api.get(f"/v1/scans/{scan_id}", headers=HOOK).json()
        return doc if doc["status"] in ("done", "failed") else None

    doc = wait_for(probe, f"scan {scan_id}", timeout=180)
    env.responses.append(json.dumps(doc))
    return doc


def _dump(env: Env) -> str:
    """Every row of every table in the module's schema, as JSON text."""
    out = []
    with env.db.engine.connect() as conn:
        tables = conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": env.settings.database_schema},
        ).scalars()
        for table in list(tables):
            rows = conn.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t')).scalars()
            out.append(f"== {table}\n" + "\n".join(rows))
    return "\n".join(out)


def _item(env: Env, scan_id: str) -> dict[str, Any]:
    items = env.call("GET", "/v1/review/items?status=all&limit=200", REVIEWER).json()["items"]
    return next(i for i in items if i["scan_id"] == scan_id)


def test_privacy_end_to_end(env: Env, s3: Any, receiver: Receiver) -> None:
    """One test (the module's worker and schema are set up once, on one xdist worker)."""
    _priority_rescan_keeps_ownership(env, s3, receiver)
    _hashed_evidence_is_stored_with_the_key_id(env)
    _planted_values_appear_nowhere_but_in_reveals(env, s3, receiver)


def _planted_values_appear_nowhere_but_in_reveals(env: Env, s3: Any, receiver: Receiver) -> None:
    # the search itself finds what it should, and not the masked forms
    assert len(hits("\n".join(LINES))) >= 5 and hits("call 415-555-0134 or INGRID.VASQUEZ@EXAMPLE.NET")
    assert not hits("I*** V*** i***@***.net ****0134 DE****3000 ****1111")
    ingrid = {"id": "u-ingrid", "name": NAME, "emails": [EMAIL], "phones": [PHONE], "ip": "203.0.113.9"}
    tom = {"id": "u-tom", "name": "Tom Baker", "emails": ["tom@example.org"], "phones": ["+1 212 555 0100"]}
    own_png = _upload(env, s3, receiver, "statement.png", image_bytes(text_image(LINES)), ingrid)
    other_pdf = _upload(env, s3, receiver, "leak.pdf", text_pdf([LINES]), tom)
    plain_docx = _upload(env, s3, receiver, "notes.docx", text_docx(LINES), {"id": "u-anon"})
    docs = {sid: _done(env, sid) for sid in (own_png, other_pdf, plain_docx)}
    assert all(d["status"] == "done" and d["verdict"] != "clean" for d in docs.values()), docs
    assert docs[own_png]["severity"] == "high" and docs[other_pdf]["severity"] == "critical"  # whose data: kept

    # A reviewer reveals the third party's upload (excluded from the search), reports it; an admin
    # downloads the package.
    item = _item(env, other_pdf)
    env.call("POST", f"/v1/review/items/{item['id']}/claim", REVIEWER)
    env.call("GET", f"/v1/review/items/{item['id']}", REVIEWER)
    reveal = env.call(
        "POST", f"/v1/review/items/{item['id']}/reveal", REVIEWER, keep=False, json={"reason": "check the card"}
    )
    assert reveal.headers["content-type"] == "image/png"
    env.call(
        "POST", f"/v1/review/items/{item['id']}/decision", REVIEWER, json={"decision": "report", "reason": "Doxxing."}
    )
    packages = env.call("GET", f"/v1/admin/packages?item_id={item['id']}", ADMIN).json()["packages"]
    env.call("GET", f"/v1/admin/packages/{packages[0]['id']}", ADMIN)

    # Someone reports the uploader's own statement: a priority rescan of a finished scan.
    key = docs[own_png]["object"]["key"]
    report = {"bucket": "uploads", "key": key, "category": "abusive", "description": "spam", "contact": "r@x.test"}
    env.call("POST", "/v1/reports", {}, json=report)
    rescanned = wait_for(lambda: _rescans(env, own_png) >= 1, "the priority rescan", timeout=180)
    assert rescanned
    assert _done(env, own_png)["severity"] == "high"  # the same ownership verdict without the raw identity

    # Subject access finds all three uploads by each kind of value, across formats.
    for kind, value in (("email", EMAIL.upper()), ("phone", "(415) 555-0134"), ("name", "vasquez, ingrid")):
        found = env.call("POST", "/v1/admin/subjects/search", ADMIN, json={"kind": kind, "value": value}).json()
        assert {u["scan_id"] for u in found["uploads"]} == {own_png, other_pdf, plain_docx}, (kind, found)
    found = env.call("POST", "/v1/admin/subjects/search", ADMIN, json={"kind": "document", "value": IBAN}).json()
    assert len(found["uploads"]) == 3
    env.call("GET", "/v1/admin/stats?days=2", ADMIN)
    metrics = env.call("GET", "/metrics", {}).text
    assert "piiscan_scan_verdicts" in metrics and not re.search(r"[0-9a-f]{32}", metrics)
    env.call("GET", "/v1/admin/audit", ADMIN)

    _assert_clean(env, "before the retention purge")

    # Retention on a fixed clock 800 days ahead: a dry run first, then the purge, then nothing is left.
    from piiscan.workers import jobs
    from piiscan.workers.services import Services

    services = Services(settings=env.settings, db=env.db, store=None, dispatcher=None)  # type: ignore[arg-type]
    later = utcnow() + timedelta(days=800)
    planned = jobs.purge(services, later, dry_run=True)
    assert planned["decided_evidence"] == 1 and planned["audit"] > 0 and planned["report_contacts"] == 1, planned
    assert planned["webhooks"] >= 4 and planned["packages"] == 1
    with env.db.session() as session:
        kept = session.execute(text("SELECT count(*) FROM findings WHERE scan_id <> :s"), {"s": other_pdf}).scalar()
    assert jobs.purge(services, later) == planned
    assert set(jobs.purge(services, later, dry_run=True).values()) == {0}
    with env.db.session() as session:
        # pending items keep their (hashed, masked) evidence; the decided one lost it
        assert session.execute(text("SELECT count(*) FROM findings")).scalar() == kept
        report = session.get(Scan, other_pdf).report  # type: ignore[union-attr]
        assert report["findings"] == [] and report["evidence_purged"] is True
    _assert_clean(env, "after the retention purge")


def _rescans(env: Env, scan_id: str) -> int:
    with env.db.session() as session:
        scan = session.get(Scan, scan_id)
        return scan.rescans if scan is not None else 0


def _assert_clean(env: Env, when: str) -> None:
    sources = {
        "database": _dump(env),
        "api log": env.api_log.getvalue(),
        "worker log": env.worker_log.read_text(errors="replace"),
        "broker": _decoded(list(env.broker)),
        "responses": "\n".join(env.responses),
    }
    assert env.broker and "MONITOR FAILED" not in env.broker, "the MONITOR connection saw nothing of this run"
    assert "piiscan.rescan" in sources["broker"] and "piiscan.scan" in sources["broker"]
    assert '"chord"' in sources["broker"], "the message bodies were not decoded"
    arguments = _task_arguments(list(env.broker))
    assert arguments and all(kwargs == {} for _, kwargs in arguments)
    assert all(re.fullmatch(r"[0-9a-f]{32}", arg) for args, _ in arguments for arg in args), arguments  # ids only
    assert "piiscan.rescan" in sources["worker log"] and "/v1/reports" in sources["api log"]
    for name, haystack in sources.items():
        assert not hits(haystack), f"{when}: planted values in the {name}: {hits(haystack)}"


def _priority_rescan_keeps_ownership(env: Env, s3: Any, receiver: Receiver) -> None:
    """#6: an abuse report on a finished scan rescans it on the priority queue, matching ownership by
    keyed hashes (the raw identity is gone); the item is created and the platform told again."""
    uploader = {"id": "u-lena", "name": "Lena Marsh", "emails": ["lena.marsh@example.com"], "phones": ["2125550173"]}
    lines = ["Lena Marsh", "lena.marsh@example.com", "Tel. (212) 555-0173"]
    scan_id = _upload(env, s3, receiver, "me.png", image_bytes(text_image(lines)), {**uploader, "ip": "198.51.100.4"})
    first = _done(env, scan_id)
    assert first["verdict"] == "own_data"
    with env.db.session() as session:
        upload = session.get(Scan, scan_id).upload  # type: ignore[union-attr]
        assert upload.uploader_name is None and upload.uploader_emails is None and upload.uploader_phones is None
        assert upload.uploader_keys and upload.uploader_keys["key_id"] == "k1"
    key = first["object"]["key"]
    body = {"bucket": "uploads", "key": key, "category": "third_party_privacy", "description": "not theirs"}
    env.call("POST", "/v1/reports", {}, json=body)
    wait_for(lambda: _rescans(env, scan_id) >= 1, "the priority rescan", timeout=180)
    again = _done(env, scan_id)
    assert (again["verdict"], again["severity"]) == (first["verdict"], first["severity"])
    assert again["rescans"] == 1
    with env.db.session() as session:
        decided_by = session.scalars(select(VerdictRow.decided_by).where(VerdictRow.scan_id == scan_id)).all()
        assert list(decided_by) == ["scanner", "rescan"]
    item = _item(env, scan_id)
    assert item["priority"] >= 1 and item["verdict"] == "own_data"
    # the first scan's webhook may still be on its way: wait for the one the rescan sent
    wait_for(
        lambda: [c for c in receiver.for_scan(scan_id) if c.json()["rescans"] == 1], "the rescan's webhook", timeout=60
    )
    assert all(c.json()["rescans"] in (0, 1) for c in receiver.for_scan(scan_id))
    assert any(env.settings.priority_queue in line and "piiscan.rescan" in _decoded([line]) for line in env.broker)


def _hashed_evidence_is_stored_with_the_key_id(env: Env) -> None:
    with env.db.session() as session:
        rows = session.execute(text("SELECT key_id, value_hash FROM findings")).all()
    assert rows and all(r.key_id == "k1" and re.fullmatch(r"[0-9a-f]{64}", r.value_hash or "") for r in rows)
