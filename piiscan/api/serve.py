"""``piiscan serve``, ``piiscan worker`` and ``piiscan beat``, and the embedded demo of ``make run``."""

from __future__ import annotations

import secrets
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from piiscan.memory import cap_memory
from piiscan.settings import Grant, Settings, get_settings

DEMO_BUCKET = "uploads"
DEMO_TENANT = "demo"


def embedded_settings(base: Settings) -> Settings:
    """No services needed: SQLite, a local folder as the bucket, tasks in a thread.

    Unset tokens and secrets get random values for this run (printed by the demo)."""
    update: dict[str, Any] = {"embedded": True, "storage_backend": "local"}
    if not base.buckets:
        update["buckets"] = [DEMO_BUCKET]
    if not base.hook_tokens:
        update["hook_tokens"] = {DEMO_TENANT: SecretStr(secrets.token_urlsafe(24))}
    if not base.reviewer_tokens and not base.admin_tokens:  # the reviewer pages' login for the demo
        update["admin_tokens"] = {secrets.token_urlsafe(24): Grant(name="demo-admin", tenants=["*"])}
    if len(base.webhook_secret.get_secret_value()) < 16:  # every default is shorter
        update["webhook_secret"] = SecretStr(secrets.token_urlsafe(32))
        if base.master_key is None:  # nothing stored under this run's keys can outlive it anyway
            update["master_key"] = SecretStr(secrets.token_urlsafe(32))
    return base.model_copy(update=update)


def uvicorn_config(app: Any, host: str, port: int) -> Any:
    """uvicorn's settings for the API. Its own proxy-header handling is off and trusts no address:
    by default it believes ``X-Forwarded-For`` from 127.0.0.1 (any local process could then pose as
    any client); :mod:`piiscan.api.proxies` decides instead, from ``PIISCAN_TRUSTED_PROXIES`` only."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False, forwarded_allow_ips=[])


def serve(host: str, port: int, *, embedded: bool, demo: Path | None) -> int:
    import uvicorn

    from piiscan.api.app import ConfigurationError, create_app

    settings = get_settings()
    if embedded:
        settings = embedded_settings(settings)
    try:
        app = create_app(settings)
    except ConfigurationError as exc:
        print(f"piiscan: {exc}", file=sys.stderr)
        return 2
    cap_memory(settings.api_max_memory_mb, "API")
    server = uvicorn.Server(uvicorn_config(app, host, port))
    if demo is not None:
        threading.Thread(target=_demo, args=(server, settings, host, port, demo), daemon=True, name="demo").start()
    server.run()
    return 0 if server.started else 1


def _demo(server: Any, settings: Settings, host: str, port: int, folder: Path) -> None:
    """Wait for the API, drop every sample into the local bucket, request its scan and print where to look."""
    import httpx

    from piiscan.storage import make_store

    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    tenant, token = next(iter(settings.hook_tokens.items()))
    logins = list(settings.admin_tokens.items())[:1] or list(settings.reviewer_tokens.items())[:1]
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
    bucket = settings.buckets[0]
    while not server.started:  # this server, not another one on the port; daemon thread: ends with the process
        if server.should_exit:
            return
        time.sleep(0.1)
    store = make_store(settings)
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    accepted: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        key = f"samples/{path.name}"
        target = Path(settings.local_storage_dir) / bucket / key
        data = path.read_bytes()
        if not (target.is_file() and target.read_bytes() == data):  # same bytes: same version, no new scan
            store.put(bucket, key, data)
        response = httpx.post(
            f"{base}/v1/hook/scans",
            headers=headers,
            json={"bucket": bucket, "key": key, "callback_url": f"{base}/demo/webhook"},
            timeout=30,
        )
        accepted.append((path.name, response.json()))
    lines = [
        "",
        "piiscan is running (embedded: SQLite, local bucket folder, in-process worker)",
        f"  API docs:        {base}/docs   (OpenAPI: {base}/openapi.json)",
        f"  bucket folder:   {Path(settings.local_storage_dir).resolve() / bucket}",
        f"  database:        {settings.database_url}",
        f"  tenant / token:  {tenant} / {token.get_secret_value()}",
        f"  webhooks seen:   curl -s {base}/demo/webhook",
        *(f"  reviewer pages:  {base}/review   (log in with {login!r}, {grant.name})" for login, grant in logins),
        f"  {len(accepted)} samples dropped into the bucket; their scans:",
    ]
    for name, doc in accepted:
        sid = doc.get("scan_id", "?")
        dup = "# already scanned: " if doc.get("duplicate") else ""
        lines.append(
            f"    {name:28} {dup}curl -s -H 'Authorization: Bearer {token.get_secret_value()}' {base}/v1/scans/{sid}"
        )
    print("\n".join(lines), flush=True)
    _wait_and_summarise(base, headers, accepted)


def _wait_and_summarise(base: str, headers: dict[str, str], accepted: list[tuple[str, dict[str, Any]]]) -> None:
    import httpx

    pending = {doc["scan_id"]: name for name, doc in accepted if "scan_id" in doc}
    verdicts: dict[str, str] = {}
    deadline = time.monotonic() + 600
    while pending and time.monotonic() < deadline:
        for sid in list(pending):
            try:
                doc = httpx.get(f"{base}/v1/scans/{sid}", headers=headers, timeout=10).json()
            except (httpx.HTTPError, ValueError):
                continue
            if doc.get("status") in ("done", "failed"):
                verdicts[pending.pop(sid)] = f"{doc['status']}: {doc.get('verdict') or doc.get('failure')}"
        time.sleep(1.0)
    print("  verdicts:", flush=True)
    for name, _ in accepted:
        print(f"    {name:28} {verdicts.get(name, 'still scanning')}", flush=True)


def worker(concurrency: int, loglevel: str, hostname: str | None) -> int:
    from piiscan.api.app import ConfigurationError, check_service_settings

    settings = get_settings()
    try:
        check_service_settings(settings, for_api=False)
    except ConfigurationError as exc:
        print(f"piiscan: {exc}", file=sys.stderr)
        return 2
    from piiscan.privacy import logs
    from piiscan.workers.celery_app import app

    logs.install()
    for warning in settings.key_warnings():
        print(f"piiscan: warning: {warning}", file=sys.stderr)
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        "-Q",
        f"{settings.priority_queue},{settings.task_queue}",
        f"--concurrency={concurrency}",
    ]
    if hostname:
        argv += ["-n", hostname]
    app.worker_main(argv)
    return 0


def beat(loglevel: str, schedule: str) -> int:
    from piiscan.privacy import logs
    from piiscan.workers.celery_app import app

    logs.install()
    app.start(["beat", f"--loglevel={loglevel}", "-s", schedule])
    return 0
