"""Faults on purpose, on the real components: every upload still ends with exactly one verdict and one webhook.

One stack for the module: a real ``piiscan worker`` and the in-process API, both talking to PostgreSQL
through a TCP proxy we can cut, to moto through an S3 proxy that fails on cue, and to a private
redis-server (append-only file, fsync always) that we kill and start again. The shared PostgreSQL and
Redis are never touched. Waits poll with bounded deadlines; sleeps only keep a fault in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from piiscan.settings import Settings
from piiscan.store.db import Database
from piiscan.store.models import Scan, WebhookDelivery, utcnow
from piiscan.synth.render import text_image
from piiscan.workers import jobs

from .conftest import RUN_ID, running_worker, wait_for
from .faults import PrivateRedis, S3FaultProxy, TcpProxy, outcome

pytestmark = pytest.mark.xdist_group("faults")  # one stack (one extra worker) per test run

POISON_SIDE = 20_000
"""A grey PNG this many pixels square: under 1 MB on disk, 400 MB decoded."""
MEMORY_CAP_MB = 900
"""The fault worker's memory cap (a warm worker holds 300-500 MB of data; a normal scan adds little)."""


@dataclass
class Stack:
    api: TestClient
    settings: Settings
    pg: TcpProxy
    s3: S3FaultProxy
    redis: PrivateRedis
    log: Path
    worker_pid: int

    @property
    def token(self) -> str:
        return self.settings.hook_tokens["acme"].get_secret_value()


@pytest.fixture(scope="session")  # not module: xdist may interleave other modules, which would rebuild it
def stack(
    service_settings: Settings, db: Database, s3: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    from piiscan.api import create_app

    pg = TcpProxy(("127.0.0.1", int(service_settings.database_url.rsplit(":", 1)[1].split("/", 1)[0])))
    s3_proxy = S3FaultProxy(service_settings.s3_endpoint_url or "")
    redis = PrivateRedis(tmp_path_factory.mktemp("redis"))
    redis.start()
    head, tail = service_settings.database_url.rsplit(":", 1)
    settings = service_settings.model_copy(
        update={
            "database_url": f"{head}:{pg.port}/{tail.split('/', 1)[1]}",
            "broker_url": redis.url,
            "task_queue": f"piiscan-faults-{RUN_ID}",
            "s3_endpoint_url": s3_proxy.url,
            "s3_read_timeout_s": 1.0,
            "s3_connect_timeout_s": 1.0,
            "s3_max_attempts": 1,
            "task_max_retries": 8,
            "task_retry_backoff_s": 0.1,
            "task_retry_backoff_max_s": 0.6,
            "webhook_timeout_s": 2.0,
            "webhook_max_attempts": 3,
            # the poison test: an image within the pixel cap whose decoding needs more than the memory cap
            "max_image_pixels": POISON_SIDE**2,
            "worker_max_memory_mb": MEMORY_CAP_MB,
        }
    )
    log = tmp_path_factory.mktemp("fault-worker") / "worker.log"
    try:
        with (
            running_worker(settings, log, f"piiscan-faults-{RUN_ID}@localhost") as proc,
            TestClient(create_app(settings)) as api,
        ):
            yield Stack(api, settings, pg, s3_proxy, redis, log, proc.pid)
    finally:
        redis.stop()
        s3_proxy.close()
        pg.close()


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants (the worker's pool processes), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    family, todo = [], [pid]
    while todo:
        current = todo.pop()
        family.append(current)
        todo.extend(children.get(current, []))
    return family


@contextlib.contextmanager
def paused(pid: int) -> Iterator[None]:
    """The worker and its pool stopped (SIGSTOP) while the block runs: what it would do, it does after."""
    family = _family(pid)
    for member in family:
        os.kill(member, signal.SIGSTOP)
    try:
        yield
    finally:
        for member in family:
            os.kill(member, signal.SIGCONT)


def put_image(s3: Any, key: str, lines: list[str]) -> str:
    import io

    buffer = io.BytesIO()
    text_image(lines, font_size=22).save(buffer, format="PNG")
    return str(s3.put_object(Bucket="uploads", Key=key, Body=buffer.getvalue())["VersionId"])


def hook(stack: Stack, key: str, version_id: str, **extra: Any) -> Any:
    body = {"bucket": "uploads", "key": key, "version_id": version_id, **extra}
    return stack.api.post("/v1/hook/scans", json=body, headers={"Authorization": f"Bearer {stack.token}"})


def once(db: Database, receiver: Any, scan_id: str, timeout: float = 120) -> dict[str, Any]:
    """Wait for the scan to end and its webhook to be settled; assert one verdict (or failure), one webhook."""

    def settled() -> dict[str, Any] | None:
        out = outcome(db, scan_id)
        if out is None or not out["deliveries"] or out["deliveries"][0][0] == "pending":
            return None
        return out

    out: dict[str, Any] = wait_for(settled, f"scan {scan_id} and its webhook", timeout=timeout)
    assert out["verdicts"] == (1 if out["status"] == "done" else 0), out
    assert len(out["deliveries"]) == 1, out
    if out["deliveries"][0][0] == "delivered":
        calls = receiver.for_scan(scan_id)
        assert len(calls) == 1, f"{len(calls)} webhooks for one scan"
        assert calls[0].json()["event"] == ("scan.completed" if out["status"] == "done" else "scan.failed")
    return out


def test_database_outage_tasks_retry_and_the_hook_answers_503(
    stack: Stack, s3: Any, db: Database, receiver: Any, unique_key: Callable[[str], str]
) -> None:
    first_key, second_key = unique_key("pg-a.png"), unique_key("pg-b.png")
    first_version = put_image(s3, first_key, ["Invoice for Maria Weber", "Call +49 30 1234 5678"])
    second_version = put_image(s3, second_key, ["Nothing personal in this note"])
    with paused(stack.worker_pid):  # the scan must not finish before the cut: it starts behind it
        accepted = hook(stack, first_key, first_version)
        assert accepted.status_code == 202
        first = accepted.json()["scan_id"]
        stack.pg.cut()
    try:
        refused = hook(stack, second_key, second_version)
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "database_unavailable" and int(refused.headers["Retry-After"]) > 0
        assert (
            stack.api.get(f"/v1/scans/{first}", headers={"Authorization": f"Bearer {stack.token}"}).status_code == 503
        )
        wait_for(lambda: f"scan {first} will be retried" in stack.log.read_text(), "the worker to retry", timeout=60)
        time.sleep(1.0)  # keep the outage over a few retries
        assert outcome(db, first) is None  # nothing finished behind the cut
    finally:
        stack.pg.restore()
    again = hook(stack, second_key, second_version)  # the platform sends the refused hook again
    assert again.status_code == 202 and again.json()["duplicate"] is False
    out = once(db, receiver, first)
    assert out["status"] == "done" and out["worker_losses"] == 0, out  # a retry is not a lost worker
    assert once(db, receiver, again.json()["scan_id"])["status"] == "done"


def test_s3_errors_and_timeouts_are_retried_then_fail_with_the_reason(
    stack: Stack, s3: Any, db: Database, receiver: Any, unique_key: Callable[[str], str]
) -> None:
    flaky, down = f"s3flaky-{uuid.uuid4().hex[:8]}", f"s3down-{uuid.uuid4().hex[:8]}"
    stack.s3.plan(flaky, ["hang", "500", "pass"])  # a timeout, a 500, then the object
    stack.s3.plan(down, ["500"])  # never comes back
    flaky_key, down_key = unique_key(f"{flaky}.png"), unique_key(f"{down}.png")
    flaky_scan = hook(stack, flaky_key, put_image(s3, flaky_key, ["Call Maria Weber"])).json()["scan_id"]
    down_scan = hook(stack, down_key, put_image(s3, down_key, ["Call Maria Weber"])).json()["scan_id"]

    recovered = once(db, receiver, flaky_scan)
    assert recovered["status"] == "done" and stack.s3.gets[flaky] == 3

    failed = once(db, receiver, down_scan)
    attempts = stack.settings.task_max_retries + 1
    assert failed["status"] == "failed" and failed["failure_code"] == "transient_error"
    assert stack.s3.gets[down] == attempts  # one GET per task attempt: retried, then given up
    shown = stack.api.get(f"/v1/scans/{down_scan}", headers={"Authorization": f"Bearer {stack.token}"}).json()
    assert shown["status"] == "failed" and shown["failure"]["code"] == "transient_error"
    assert (
        "object store failed" in shown["failure"]["reason"]
        and f"after {attempts} attempts" in shown["failure"]["reason"]
    )


@pytest.fixture
def broken_receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A platform endpoint that is up but failing: every call is answered 503."""
    calls: list[dict[str, str]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                calls.append(dict(self.headers.items()))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", calls
    server.shutdown()
    server.server_close()


def test_webhook_receiver_down_deliveries_retried_then_failed_and_visible(
    stack: Stack,
    s3: Any,
    db: Database,
    receiver: Any,
    unique_key: Callable[[str], str],
    broken_receiver: tuple[str, list[dict[str, str]]],
) -> None:
    url, calls = broken_receiver
    key = unique_key("hook-down.png")
    scan_id = hook(stack, key, put_image(s3, key, ["Nothing here"]), callback_url=url).json()["scan_id"]
    out = once(db, receiver, scan_id)
    limit = stack.settings.webhook_max_attempts
    assert out["status"] == "done" and out["deliveries"] == [("failed", limit, 503, "the receiver answered HTTP 503")]
    assert len(calls) == limit and len({c["X-Piiscan-Delivery"] for c in calls}) == 1  # the same delivery, retried
    shown = stack.api.get(f"/v1/scans/{scan_id}", headers={"Authorization": f"Bearer {stack.token}"}).json()
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in shown["webhook_deliveries"]] == [
        ("failed", limit, 503)
    ]


def test_broker_restart_loses_no_scan(
    stack: Stack, s3: Any, db: Database, receiver: Any, unique_key: Callable[[str], str]
) -> None:
    keys = [unique_key(f"broker-{i}.png") for i in range(4)]
    versions = [put_image(s3, k, [f"Order {i} for Maria Weber", "maria.weber@example.com"]) for i, k in enumerate(keys)]
    scans = [hook(stack, k, v).json()["scan_id"] for k, v in zip(keys, versions, strict=True)]
    client = redis.Redis.from_url(stack.redis.url)
    messages = client.lrange(stack.settings.task_queue, 0, -1)
    client.close()
    in_queue = [scan_id for scan_id in scans if any(scan_id.encode() in m for m in messages)]
    assert in_queue  # the broker dies with scans waiting in its queue
    stack.redis.kill()  # SIGKILL: what it acknowledged is in the append-only file (fsync always)
    late_key = unique_key("broker-late.png")
    late = hook(stack, late_key, put_image(s3, late_key, ["Sent while the broker was away"]))
    assert late.status_code == 202  # recorded in PostgreSQL; its message could not be published
    stack.redis.start()  # same port, same append-only file

    # Every message that was in the queue survives the restart: those scans finish without any help.
    for scan_id in in_queue:
        wait_for(lambda s=scan_id: outcome(db, s), f"queued scan {scan_id} after the restart")

    # What was not in the queue, the beat sweeper re-sends (here at once instead of after stale_scan_s): the scan
    # announced while the broker was away, a message held unacknowledged by the worker at the crash (back after
    # the visibility timeout otherwise), and webhooks whose delivery message could not be published. A restart
    # WITHOUT persistence would leave every queued scan to this path: nothing lost, only later.
    everything = [*scans, late.json()["scan_id"]]
    client = redis.Redis.from_url(stack.redis.url)
    wait_for(lambda: client.llen(stack.settings.task_queue) == 0, "the queue to drain")
    client.close()
    stale = utcnow() - timedelta(seconds=stack.settings.stale_scan_s + 1)
    with db.session() as session:
        for scan_id in everything:
            scan = session.get(Scan, scan_id)
            assert scan is not None
            if scan.status == "queued":
                scan.updated_at = stale
            for delivery in session.scalars(select(WebhookDelivery).where(WebhookDelivery.scan_id == scan_id)):
                if delivery.status == "pending":
                    delivery.updated_at = stale
    jobs.sweep(stack.api.app.state.services)  # type: ignore[attr-defined]
    for scan_id in everything:
        assert once(db, receiver, scan_id)["status"] == "done"


def poison_png(side: int) -> bytes:
    """A valid PNG, side x side grey pixels, written row by row (the test never holds it decoded)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xc0" * side
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _pool_pids(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, ValueError):
                continue
    return out


def test_poison_file_is_isolated_error_verdict_and_the_worker_lives_on(
    stack: Stack, s3: Any, db: Database, receiver: Any, unique_key: Callable[[str], str]
) -> None:
    data = poison_png(POISON_SIDE)
    assert len(data) < stack.settings.max_file_bytes
    key = unique_key("poison.png")
    version = s3.put_object(Bucket="uploads", Key=key, Body=data)["VersionId"]
    pool_before = _pool_pids(stack.worker_pid)
    scan_id = hook(stack, key, version).json()["scan_id"]
    out = once(db, receiver, scan_id, timeout=180)
    assert out["status"] == "done" and out["verdict"] == "error", out
    shown = stack.api.get(f"/v1/scans/{scan_id}", headers={"Authorization": f"Bearer {stack.token}"}).json()
    assert shown["report"]["error"]["code"] == "internal_error" and "MemoryError" in shown["report"]["error"]["message"]
    # the same pool process scans the next upload
    after_key = unique_key("after-poison.png")
    after = hook(stack, after_key, put_image(s3, after_key, ["Call Maria Weber"])).json()["scan_id"]
    assert once(db, receiver, after)["status"] == "done"
    assert _pool_pids(stack.worker_pid) == pool_before and out["worker_losses"] == 0


def test_worker_log_carries_no_personal_data(stack: Stack) -> None:
    log = stack.log.read_text()
    for value in ("Maria Weber", "maria.weber@example.com", "+49 30 1234 5678"):
        assert value not in log
    assert json.dumps("Maria") not in log
