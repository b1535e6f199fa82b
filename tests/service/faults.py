"""Things to break on purpose: a TCP proxy that can be cut, an S3 proxy that fails on cue, a private Redis.

They stand between the service and the real PostgreSQL, moto and Redis; the shared services are never
stopped or restarted (other test runs use them).
"""

from __future__ import annotations

import contextlib
import http.client
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from piiscan.store.db import Database
from piiscan.store.models import Scan, VerdictRow, WebhookDelivery


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
                with self._lock:
                    self._conns.discard(sock)

    def cut(self) -> None:
        self.up.clear()
        with self._lock:
            conns = list(self._conns)
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


class S3FaultProxy:
    """An HTTP proxy in front of moto. GETs of keys containing a planned marker fail as planned.

    ``plan(marker, ["500", "hang", "pass"])``: the n-th GET of such a key gets the n-th action, the
    last one repeats. ``hang`` holds the request past the client's read timeout, then drops it.
    HEADs always pass (the hook's check), so the faults hit the worker's download."""

    def __init__(self, upstream: str, hang_s: float = 3.0) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.hang_s = hang_s
        self.plans: dict[str, list[str]] = {}
        self.gets: Counter[str] = Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _action(self) -> str:
                if self.command != "GET":
                    return "pass"
                with proxy.lock:
                    for marker, actions in proxy.plans.items():
                        if marker in self.path:
                            n = proxy.gets[marker]
                            proxy.gets[marker] += 1
                            return actions[min(n, len(actions) - 1)]
                return "pass"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                action = self._action()
                if action == "hang":
                    time.sleep(proxy.hang_s)
                    self.close_connection = True
                    return
                if action == "500":
                    payload = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                    self.send_response(500)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def plan(self, marker: str, actions: list[str]) -> None:
        with self.lock:
            self.plans[marker] = actions

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PrivateRedis:
    """A redis-server of our own on a free port, which a test may kill and start again.

    ``--appendonly yes --appendfsync always``: every queued message is on disk before Redis answers,
    so even SIGKILL loses nothing that was acknowledged to the publisher."""

    def __init__(self, directory: Path, persistent: bool = True) -> None:
        self.port = free_port()
        self.directory = directory
        self.persistent = persistent
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)]
        args += ["--save", ""]
        if self.persistent:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to the clients."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def outcome(db: Database, scan_id: str) -> dict[str, Any] | None:
    """The finished scan with its counts of verdicts and webhook deliveries, or None while it runs."""
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None or scan.status not in ("done", "failed"):
            return None
        verdicts = session.scalar(select(func.count()).select_from(VerdictRow).where(VerdictRow.scan_id == scan_id))
        deliveries = list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.scan_id == scan_id)))
        return {
            "status": scan.status,
            "verdict": scan.verdict,
            "attempts": scan.attempts,
            "worker_losses": scan.worker_losses,
            "failure_code": scan.failure_code,
            "failure_reason": scan.failure_reason,
            "verdicts": verdicts,
            "deliveries": [(d.status, d.attempts, d.last_status_code, d.last_error) for d in deliveries],
        }


@contextlib.contextmanager
def suppress_all() -> Iterator[None]:
    with contextlib.suppress(Exception):
        yield
