"""The load harness: N hook requests through the real service, K worker processes, loopback only.

``make load`` (``python -m piiscan.perf.load --uploads N --workers K``) and the bench's
uploads-per-minute figures run the same code:

- an S3 server (moto's server mode) on a free loopback port holding the uploads;
- PostgreSQL: a schema of its own, dropped at the end; Redis: a queue of its own, purged;
- the real API in-process (FastAPI's TestClient), its hook answering 202 and queuing the scan;
- one real ``piiscan worker --concurrency K`` (Celery prefork: K scanning processes);
- a webhook receiver on loopback recording when each verdict arrives.

Every upload has distinct bytes (:func:`piiscan.perf.inputs.uploads`), so none is reused.
It stops by itself: after the last verdict, or at a deadline (then it reports what is
missing). It checks that every upload reached a verdict EXACTLY once: one webhook event per
scan, one delivery recorded per scan, status ``done``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from piiscan.settings import Settings

DATABASE_URL = os.environ.get("PIISCAN_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER_URL = os.environ.get("PIISCAN_BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
BUCKET = "uploads"
TENANT = "bench"

Events = Callable[[], list[tuple[float, dict[str, Any]]]]
"""Every webhook received so far: (monotonic arrival time, JSON body)."""


@dataclass(slots=True)
class LoadResult:
    uploads: int
    workers: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def per_minute(self) -> float:
        return 60.0 * len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def exactly_once(self) -> bool:
        return not self.problems and len(self.latencies) == self.uploads

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def summary(self) -> str:
        return (
            f"{self.uploads} uploads, {self.workers} worker process(es): {self.seconds:.1f} s, "
            f"{self.per_minute:.1f} uploads/min; latency p50 {self.percentile(0.5):.2f} s, "
            f"p95 {self.percentile(0.95):.2f} s, max {max(self.latencies, default=float('nan')):.2f} s; "
            f"verdicts {dict(sorted(self.verdicts.items()))}; "
            + ("every upload reached a verdict exactly once" if self.exactly_once else f"PROBLEMS: {self.problems}")
        )


def run_load(
    client: Any,
    s3: Any,
    token: str,
    uploads: Sequence[tuple[str, bytes]],
    events: Events,
    *,
    workers: int,
    bucket: str = BUCKET,
    callback_url: str | None = None,
    timeout_s: float = 600.0,
) -> LoadResult:
    """Put the objects (untimed), then send one hook request each and wait for every verdict.

    ``client`` is the API (a TestClient or any httpx-like client); throughput runs from the
    first request to the last verdict, latency from each request to its webhook.
    """
    run = uuid.uuid4().hex[:8]
    keys = [f"load/{run}/{name}" for name, _ in uploads]
    for key, (_, data) in zip(keys, uploads, strict=True):
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    headers = {"Authorization": f"Bearer {token}"}
    sent: dict[str, float] = {}
    problems: list[str] = []
    started = time.monotonic()
    for key in keys:
        body: dict[str, Any] = {"bucket": bucket, "key": key}
        if callback_url:
            body["callback_url"] = callback_url
        at = time.monotonic()
        response = client.post("/v1/hook/scans", json=body, headers=headers)
        if response.status_code != 202:
            problems.append(f"hook answered {response.status_code} for upload {key.rsplit('/', 1)[-1]}")
            continue
        scan_id = response.json()["scan_id"]
        if scan_id in sent:
            problems.append(f"two uploads got the same scan {scan_id}")
        sent[scan_id] = at

    deadline = started + timeout_s
    arrived: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    while time.monotonic() < deadline:
        arrived = {}
        for at, event in events():
            if event.get("scan_id") in sent:
                arrived.setdefault(event["scan_id"], []).append((at, event))
        if len(arrived) == len(sent):
            break
        time.sleep(0.05)
    finished = max((calls[0][0] for calls in arrived.values()), default=time.monotonic())

    latencies: list[float] = []
    verdicts: dict[str, int] = {}
    for scan_id, at in sent.items():
        calls = arrived.get(scan_id, [])
        if not calls:
            problems.append(f"scan {scan_id} reached no verdict before the deadline")
            continue
        if len(calls) != 1:
            problems.append(f"scan {scan_id} was announced {len(calls)} times")
        first_at, event = calls[0]
        latencies.append(first_at - at)
        verdict = event.get("verdict") or event.get("status") or "?"
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        if event.get("event") != "scan.completed":
            problems.append(f"scan {scan_id} ended {event.get('event')}")
        doc = client.get(f"/v1/scans/{scan_id}", headers=headers).json()
        deliveries = doc.get("webhook_deliveries", [])
        if doc.get("status") != "done" or len(deliveries) != 1:
            problems.append(f"scan {scan_id}: status {doc.get('status')}, {len(deliveries)} deliveries recorded")
        if doc.get("reused_from"):
            problems.append(f"scan {scan_id} reused another result: the inputs were not distinct")
    return LoadResult(len(uploads), workers, finished - started, latencies, verdicts, problems)


# -- the environment ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(probe: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


class WebhookSink:
    """The platform's webhook endpoint on loopback: records each body and its arrival time."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/piiscan"
        self._events: list[tuple[float, dict[str, Any]]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with sink._lock:
                    sink._events.append((time.monotonic(), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def events(self) -> list[tuple[float, dict[str, Any]]]:
        with self._lock:
            return list(self._events)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a ``piiscan worker`` subprocess configured like ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIISCAN_")}
    env.update(AWS)
    env.update(settings.as_environment())
    return env


@contextmanager
def worker_processes(settings: Settings, concurrency: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``piiscan worker --concurrency K`` on the settings' queue, ready (warmed) when yielded."""
    node = f"piiscan-load-{uuid.uuid4().hex[:8]}@localhost"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "piiscan"),
                "worker",
                "--concurrency",
                str(concurrency),
                "--hostname",
                node,
            ],
            env=worker_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(lambda: proc.poll() is not None or b"ready." in log_path.read_bytes(), "the worker", 180)
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited: {log_path.read_text()[-2000:]}")
        _wait(lambda: log_path.read_bytes().count(b"worker process warmed up") >= concurrency, "warm-up", 180)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory (VmHWM) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Environment:
    settings: Settings
    client: Any
    s3: Any
    sink: WebhookSink
    token: str
    workdir: Path


@contextmanager
def environment(workdir: Path) -> Iterator[Environment]:
    """moto, a PostgreSQL schema, a Redis queue, the webhook sink and the API; torn down after."""
    import boto3
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from piiscan.api import create_app
    from piiscan.store.db import Database

    os.environ.update(AWS)
    run = uuid.uuid4().hex[:10]
    port = free_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sink = WebhookSink()
    token = "bench-hook-token-" + uuid.uuid4().hex
    settings = Settings(
        download_dir=str(workdir),
        database_url=DATABASE_URL,
        database_schema=f"piiscan_bench_{run}",
        broker_url=BROKER_URL,
        task_queue=f"piiscan-bench-{run}",
        s3_endpoint_url=f"http://127.0.0.1:{port}",
        buckets=[BUCKET],
        hook_tokens={TENANT: SecretStr(token)},
        callback_urls={TENANT: sink.url},
        callback_allowed_networks=["127.0.0.0/8"],  # the sink listens on loopback
        webhook_secret=SecretStr("bench-webhook-secret-" + uuid.uuid4().hex),
        master_key=SecretStr("bench-master-key-" + uuid.uuid4().hex),
    )
    db = Database.from_settings(settings)
    try:

        def moto_up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                return False

        _wait(moto_up, "moto_server", 30)
        s3 = boto3.client("s3", endpoint_url=settings.s3_endpoint_url)
        s3.create_bucket(Bucket=BUCKET)
        db.upgrade()
        with TestClient(create_app(settings)) as client:
            yield Environment(settings, client, s3, sink, token, workdir)
    finally:
        _purge(settings)
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{settings.database_schema}" CASCADE'))
        db.dispose()
        sink.close()
        moto.terminate()
        moto.wait(timeout=10)


def _purge(settings: Settings) -> None:
    import redis

    queue = settings.task_queue
    client = redis.Redis.from_url(settings.broker_url)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.close()


def load(env: Environment, uploads: Sequence[tuple[str, bytes]], workers: int) -> tuple[LoadResult, list[float]]:
    """One run with a fresh worker of ``workers`` processes; also their peak RSS (MB) each."""
    log_path = env.workdir / f"worker-{workers}-{uuid.uuid4().hex[:6]}.log"
    with worker_processes(env.settings, workers, log_path) as proc:
        result = run_load(env.client, env.s3, env.token, uploads, env.sink.events, workers=workers)
        rss = [peak_rss_mb(pid) for pid in children(proc.pid)]
    return result, rss


def main(argv: Sequence[str] | None = None) -> int:
    import tempfile

    from piiscan.perf.inputs import uploads as make_uploads

    parser = argparse.ArgumentParser(prog="python -m piiscan.perf.load", description=__doc__)
    parser.add_argument("--uploads", type=int, default=60, help="hook requests (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    inputs = list(make_uploads(args.uploads, seed=args.seed))
    with tempfile.TemporaryDirectory() as tmp, environment(Path(tmp)) as env:
        result, rss = load(env, inputs, args.workers)
    print(f"command: {' '.join([sys.executable, '-m', 'piiscan.perf.load', *(argv or sys.argv[1:])])}")
    print(result.summary())
    print(f"peak RSS of the worker processes: {', '.join(f'{r:.0f} MB' for r in rss)}")
    return 0 if result.exactly_once else 1


if __name__ == "__main__":
    sys.exit(main())
