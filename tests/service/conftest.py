"""Real services for the scan-service tests, isolated per test session.

- PostgreSQL on loopback (database ``test``): a schema of our own, dropped at the end;
- a real S3 HTTP server (moto's server mode) on a free loopback port;
- Redis on 127.0.0.1:6379 as the Celery broker, in its own db number, with a queue named for
  this run; a real ``piiscan worker`` subprocess consumes it (it warms its scanner once);
- a tiny HTTP server on loopback that receives the webhooks.

Override with PIISCAN_TEST_DATABASE_URL, PIISCAN_TEST_BROKER_URL (amqp://guest:guest@127.0.0.1:5672//
runs the same tests on RabbitMQ). Nothing here depends on timing:
waits poll with a bounded deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text

from piiscan.settings import Grant, Settings
from piiscan.store.db import Database

REPO = Path(__file__).resolve().parents[2]
RUN_ID = uuid.uuid4().hex[:10]
DATABASE_URL = os.environ.get("PIISCAN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER_URL = os.environ.get("PIISCAN_TEST_BROKER_URL", "redis://127.0.0.1:6379/11")
TOKEN = "acme-hook-token-" + uuid.uuid4().hex
OTHER_TOKEN = "other-hook-token-" + uuid.uuid4().hex
SECRET = "webhook-secret-" + uuid.uuid4().hex
REVIEWER_TOKEN = "reviewer-ada-" + uuid.uuid4().hex
SECOND_REVIEWER_TOKEN = "reviewer-bo-" + uuid.uuid4().hex
OTHER_REVIEWER_TOKEN = "reviewer-cy-" + uuid.uuid4().hex
ADMIN_TOKEN = "admin-dee-" + uuid.uuid4().hex
ACME_ADMIN_TOKEN = "admin-eve-" + uuid.uuid4().hex
MAX_BYTES = 2_000_000
TENANT_SCOPES = {"acme": ["uploads/u/", "uploads/load/", "plain"], "other": ["uploads/o/"]}
"""acme owns uploads/u/... (where ``unique_key`` puts keys), uploads/load/... (the load harness's keys) and
all of plain; other owns uploads/o/...."""
KEY_PREFIX = {"acme": "u", "other": "o"}
"""The folder of each tenant's scope in the uploads bucket."""
AWS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 120.0, every: float = 0.1) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session", autouse=True)
def _aws_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in AWS}
    os.environ.update(AWS)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    try:
        wait_for(up, "moto_server", timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def s3(s3_endpoint: str) -> Any:
    """A boto3 client with two buckets: ``uploads`` (versioned) and ``plain`` (not versioned)."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="uploads")
    client.put_bucket_versioning(Bucket="uploads", VersioningConfiguration={"Status": "Enabled"})
    client.create_bucket(Bucket="plain")
    client.create_bucket(Bucket="not-allowed")
    return client


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    calls: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def for_scan(self, scan_id: str) -> list[Received]:
        with self.lock:
            return [c for c in self.calls if c.json().get("scan_id") == scan_id]


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    """The platform's webhook endpoint: records every call and answers 204."""
    port = free_port()
    recv = Receiver(url=f"http://127.0.0.1:{port}/hooks/piiscan")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with recv.lock:
                recv.calls.append(Received(self.path, dict(self.headers.items()), body, time.monotonic()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recv
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    schema = f"piiscan_test_{RUN_ID}"
    yield schema
    db = Database(DATABASE_URL)
    with db.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    db.dispose()


@pytest.fixture(scope="session")
def service_settings(
    pg_schema: str, s3_endpoint: str, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        download_dir=str(tmp_path_factory.mktemp("spool")),
        database_url=DATABASE_URL,
        database_schema=pg_schema,
        broker_url=BROKER_URL,
        task_queue=f"piiscan-test-{RUN_ID}",
        s3_endpoint_url=s3_endpoint,
        buckets=["uploads", "plain"],
        tenant_scopes=TENANT_SCOPES,
        hook_tokens={"acme": SecretStr(TOKEN), "other": SecretStr(OTHER_TOKEN)},
        callback_urls={"acme": receiver.url},
        webhook_secret=SecretStr(SECRET),
        max_file_bytes=MAX_BYTES,
        task_retry_backoff_s=0.2,
        task_retry_backoff_max_s=1.0,
        task_max_retries=2,
        webhook_max_attempts=3,
        callback_allowed_networks=["127.0.0.0/8"],  # the receiver and the services run on loopback
        reviewer_tokens={
            REVIEWER_TOKEN: Grant(name="ada", tenants=["acme"]),
            SECOND_REVIEWER_TOKEN: Grant(name="bo", tenants=["acme"]),
            OTHER_REVIEWER_TOKEN: Grant(name="cy", tenants=["other"]),
        },
        admin_tokens={
            ADMIN_TOKEN: Grant(name="dee", tenants=["*"]),
            ACME_ADMIN_TOKEN: Grant(name="eve", tenants=["acme"]),
        },
        evidence_keys={"k1": SecretStr("evidence-key-" + uuid.uuid4().hex)},
        evidence_key_id="k1",
    )


@pytest.fixture(scope="session")
def db(service_settings: Settings) -> Iterator[Database]:
    database = Database.from_settings(service_settings)
    database.upgrade()
    yield database
    database.dispose()


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIISCAN_")}
    env.update(AWS)
    env.update(settings.as_environment())
    return env


WORKER_PIDS: dict[str, int] = {}


def purge_queue(settings: Settings) -> None:
    """Remove this run's queue (and, on Redis, kombu's bindings of it) from the broker."""
    queues = (settings.task_queue, settings.priority_queue)
    if settings.broker_url.startswith("redis"):
        import redis

        client = redis.Redis.from_url(settings.broker_url)
        for queue in queues:
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
        return
    from kombu import Connection

    with Connection(settings.broker_url) as conn:
        channel = conn.channel()
        for queue in queues:
            channel.queue_delete(queue)
            channel.exchange_delete(queue)


@pytest.fixture(scope="session")
def worker_pid(worker: str) -> int:
    """The pid of the worker's main process (its pool processes are its children)."""
    return WORKER_PIDS[worker]


@contextlib.contextmanager
def running_worker(settings: Settings, log_path: Path, node: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``piiscan worker`` subprocess (prefork, one pool process) for ``settings``, stopped on exit."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "piiscan"), "worker", "--concurrency", "1", "--hostname", node],
            env=worker_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        wait_for(lambda: proc.poll() is not None or b"ready." in log_path.read_bytes(), "the worker", timeout=90)
        if proc.poll() is not None:
            pytest.fail(f"the worker exited: {log_path.read_text()[-3000:]}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if os.environ.get("PIISCAN_TEST_SHOW_WORKER_LOG"):
            print(log_path.read_text())


@pytest.fixture(scope="session")
def worker(service_settings: Settings, db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``piiscan worker`` (Celery, prefork, one process) on this run's queue; yields its node name."""

    node = f"piiscan-test-{RUN_ID}@localhost"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    try:
        with running_worker(service_settings, log_path, node) as proc:
            WORKER_PIDS[node] = proc.pid
            yield node
    finally:
        purge_queue(service_settings)


@pytest.fixture(scope="session")
def api(service_settings: Settings, db: Database) -> Iterator[TestClient]:
    """The real API in-process; its dispatcher sends Celery messages to the real broker."""

    from piiscan.api import create_app

    with TestClient(create_app(service_settings)) as client:
        yield client
    purge_queue(service_settings)  # what no worker of this run consumed


@pytest.fixture(scope="session")
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session")
def other_auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {OTHER_TOKEN}"}


def s3_event(
    bucket: str, key: str, *, version_id: str | None = None, etag: str | None = None, size: int = 0
) -> dict[str, Any]:
    """A bucket notification as MinIO sends it (the AWS format, ``s3:`` event names, URL-encoded key)."""
    from urllib.parse import quote_plus

    obj: dict[str, Any] = {"key": quote_plus(key, safe="/"), "size": size, "sequencer": uuid.uuid4().hex[:16]}
    if etag:
        obj["eTag"] = etag
    if version_id:
        obj["versionId"] = version_id
    return {
        "EventName": "s3:ObjectCreated:Put",
        "Key": f"{bucket}/{key}",
        "Records": [
            {
                "eventVersion": "2.0",
                "eventSource": "minio:s3",
                "awsRegion": "",
                "eventTime": "2025-11-29T10:00:00.000Z",
                "eventName": "s3:ObjectCreated:Put",
                "userIdentity": {"principalId": "minio"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "Config",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": obj,
                },
            }
        ],
    }


@pytest.fixture(scope="session")
def make_event() -> Callable[..., dict[str, Any]]:
    return s3_event


@pytest.fixture(scope="session")
def wait() -> Callable[..., Any]:
    return wait_for


@pytest.fixture(scope="session")
def unique_key() -> Callable[[str], str]:
    return lambda name: f"u/{uuid.uuid4().hex[:8]}/{name}"


# -- moderation ---------------------------------------------------------------------------------------

PLANTED = ("Margaret Whitfield", "margaret.whitfield@example.com", "555-0147", "742 Evergreen Terrace")
"""Raw values in samples/letter.png and in the synthetic scans below: no response may carry them."""


@pytest.fixture(scope="session")
def role_headers() -> dict[str, dict[str, str]]:
    """Headers per caller: anonymous, a tenant's hook, reviewers of acme (two) and of other, an admin."""
    return {
        "anonymous": {},
        "hook": {"Authorization": f"Bearer {TOKEN}"},
        "reviewer": {"Authorization": f"Bearer {REVIEWER_TOKEN}"},
        "reviewer2": {"Authorization": f"Bearer {SECOND_REVIEWER_TOKEN}"},
        "other_reviewer": {"Authorization": f"Bearer {OTHER_REVIEWER_TOKEN}"},
        "admin": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
        "acme_admin": {"Authorization": f"Bearer {ACME_ADMIN_TOKEN}"},
    }


def _finding(entity: str, index: int) -> dict[str, Any]:
    return {
        "entity_type": entity,
        "score": 0.85,
        "page": 1,
        "source": "ocr",
        "masked": f"[{entity}]",
        "bbox": {"left": 10, "top": 10 + 40 * index, "width": 200, "height": 30},
    }


@pytest.fixture(scope="session")
def flagged_scan(db: Database) -> Callable[..., str]:
    """A finished scan made in the store (no worker): the item exists when the verdict is flagged.

    The uploader name, planted in the upload row, must never come back in a response."""
    from piiscan.store import repo, review
    from piiscan.store.models import Scan

    def make(
        *,
        tenant: str = "acme",
        verdict: str = "third_party_data",
        severity: str = "high",
        entities: tuple[str, ...] = ("PERSON", "EMAIL_ADDRESS"),
        key: str | None = None,
        callback_url: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        version_id: str | None = None,
    ) -> str:
        key = key or f"{KEY_PREFIX.get(tenant, 'u')}/{uuid.uuid4().hex[:8]}/synthetic.png"
        new = repo.NewUpload(
            tenant=tenant,
            bucket="uploads",
            key=key,
            version=f"v:{version_id or uuid.uuid4().hex}",
            version_id=version_id or uuid.uuid4().hex,
            etag=None,
            size=100,
            origin="api",
            visibility="public",
            uploader_id="u-42",
            uploader_name=PLANTED[0],
            uploader_emails=(PLANTED[1],),
            callback_url=callback_url,
            uploader_ip=ip,
            uploader_user_agent=user_agent,
        )
        scan, _ = repo.request_scan(db, new)
        report = {
            "source": f"s3://uploads/{key}",
            "sha256": uuid.uuid4().hex * 2,
            "media_type": "image/png",
            "size": 100,
            "pages": 1,
            "verdict": verdict,
            "severity": severity,
            "findings": [_finding(e, i) for i, e in enumerate(entities)],
            "rules": []
            if verdict == "clean"
            else [
                {
                    "id": "t.rule",
                    "verdict": verdict,
                    "severity": severity,
                    "reason": "A third person's name and e-mail address.",
                }
            ],
            "rule_pack_version": "test@1",
            "elapsed_ms": 1.0,
        }
        with db.session() as session:
            row = session.get(Scan, scan.id, with_for_update=True)
            assert row is not None
            row.status = "running"
            repo.complete_scan(session, row, report, "context-key")
            review.enqueue_finished_scan(session, row, "low")
        return scan.id

    return make


@pytest.fixture(scope="session")
def item_of(db: Database) -> Callable[[str], str | None]:
    from sqlalchemy import select

    from piiscan.store.models import ReviewItem

    def find(scan_id: str) -> str | None:
        with db.session() as session:
            return session.scalars(select(ReviewItem.id).where(ReviewItem.scan_id == scan_id)).first()

    return find


def assert_no_raw(*texts: str) -> None:
    for body in texts:
        for value in PLANTED:
            assert value not in body, f"a raw value leaked: {value!r}"


@pytest.fixture(scope="session")
def no_raw() -> Callable[..., None]:
    return assert_no_raw
