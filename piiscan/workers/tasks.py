"""Celery tasks: thin wrappers over :mod:`piiscan.workers.jobs` adding retries and time limits.

- ``piiscan.scan(scan_id)``: transient storage and database errors are retried with
  exponential backoff up to ``PIISCAN_TASK_MAX_RETRIES``; then, and for every other error,
  the scan ends ``failed`` with its reason: never silently.
- ``piiscan.deliver_webhook(delivery_id)``: retried with backoff up to
  ``PIISCAN_WEBHOOK_MAX_ATTEMPTS`` attempts, each recorded.
- ``piiscan.sweep()``: run by beat every minute; re-sends scans, rescans and deliveries lost on the way.
- ``piiscan.rescan(scan_id)``: a priority rescan of a finished scan (an abuse report asked for it),
  sent to the priority queue; transient errors are retried, others give up (logged by type).
- ``piiscan.retention()``: run by beat every hour; purges what is past its retention period.

Every message carries an id, never a value; the worker's log records pass the redaction filter.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import after_setup_logger, after_setup_task_logger, worker_process_init

from piiscan.memory import cap_memory
from piiscan.privacy import logs as privacy_logs
from piiscan.settings import get_settings
from piiscan.storage import StorageError
from piiscan.storage.base import remove_stale_spool
from piiscan.store import repo
from piiscan.workers import jobs
from piiscan.workers.celery_app import DELIVER_TASK, RESCAN_TASK, RETENTION_TASK, SCAN_TASK, SWEEP_TASK, app
from piiscan.workers.services import get_services

log = logging.getLogger(__name__)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_logs(logger: Any = None, **_: Any) -> None:
    """Celery sets its handlers up after the process started: give them the redaction filter too."""
    json_lines = get_settings().log_json
    privacy_logs.install(json_lines)
    if logger is not None:
        privacy_logs.add_to_handlers(logger)
        if json_lines:
            privacy_logs.use_json(logger)


@worker_process_init.connect
def _warm_up(**_: Any) -> None:
    """Each worker process loads Presidio, spaCy and Tesseract once, before its first task."""
    services = get_services()  # built in this process, after the fork: its own engine and S3 client
    settings = services.settings
    remove_stale_spool(settings.download_dir)  # a killed predecessor's spool file: unlocked, removed now
    services.scanner()
    _cap_memory(settings.worker_max_memory_mb)
    log.info("worker process warmed up")


def _cap_memory(limit_mb: int) -> None:
    """Bound this pool process's heap: an allocation past the cap raises MemoryError in the parser, which the
    scanner's boundary turns into an ``error`` verdict; a native crash kills this child only (worker_lost)."""
    cap_memory(limit_mb, "worker")


def _scan(task: Task[Any, Any], scan_id: str) -> str:
    services = get_services()
    settings = services.settings
    try:
        return jobs.run_scan(services, scan_id, retrying=task.request.retries > 0)
    except jobs.TRANSIENT_ERRORS as exc:
        retries = task.request.retries
        reason = _reason(exc)
        if retries >= settings.task_max_retries:
            jobs.fail_scan(services, scan_id, "transient_error", f"{reason}; gave up after {retries + 1} attempts")
            return "failed"
        log.warning("scan %s will be retried (%s)", scan_id, type(exc).__name__)
        with contextlib.suppress(*jobs.TRANSIENT_ERRORS):
            jobs.requeue_scan(services, scan_id)
        countdown = jobs.backoff_s(retries, settings.task_retry_backoff_s, settings.task_retry_backoff_max_s)
        raise task.retry(countdown=countdown, max_retries=settings.task_max_retries) from None
    except StorageError as exc:
        jobs.fail_scan(services, scan_id, exc.code, exc.message)
        return "failed"
    except SoftTimeLimitExceeded:
        limit = app.conf.task_soft_time_limit
        jobs.fail_scan(services, scan_id, "timeout", f"The scan took longer than {limit} s and was stopped.")
        return "failed"
    except Exception as exc:  # a bug: the scan ends visibly failed, the log has the type only (no content)
        log.error("scan %s crashed (%s)", scan_id, type(exc).__name__)
        jobs.fail_scan(services, scan_id, "internal_error", f"piiscan failed on this object ({type(exc).__name__}).")
        return "failed"


def _reason(exc: Exception) -> str:
    if isinstance(exc, StorageError):
        return exc.message
    return f"the database is unavailable ({type(exc).__name__})"


def _deliver(task: Task[Any, Any], delivery_id: str) -> str:
    services = get_services()
    settings = services.settings
    try:
        outcome, attempts = jobs.deliver(services, delivery_id)
    except jobs.TRANSIENT_ERRORS:
        outcome, attempts = "retry", task.request.retries + 1
    if outcome == "retry":
        countdown = jobs.backoff_s(attempts - 1, settings.task_retry_backoff_s, settings.task_retry_backoff_max_s)
        raise task.retry(countdown=countdown, max_retries=settings.webhook_max_attempts + 2)
    return outcome


def _sweep(task: Task[Any, Any]) -> dict[str, int]:
    services = get_services()
    remove_stale_spool(services.settings.download_dir)
    scans, deliveries = jobs.sweep(services)
    return {"scans": scans, "deliveries": deliveries}


def _rescan(task: Task[Any, Any], scan_id: str) -> str:
    services = get_services()
    settings = services.settings
    try:
        return jobs.run_rescan(services, scan_id)
    except jobs.TRANSIENT_ERRORS as exc:
        retries = task.request.retries
        if retries < settings.task_max_retries:
            log.warning("rescan of %s will be retried (%s)", scan_id, type(exc).__name__)
            countdown = jobs.backoff_s(retries, settings.task_retry_backoff_s, settings.task_retry_backoff_max_s)
            raise task.retry(countdown=countdown, max_retries=settings.task_max_retries) from None
        log.error("rescan of %s gave up (%s); the sweeper sends it again later", scan_id, type(exc).__name__)
        return "failed"
    except Exception as exc:  # the earlier result stands; the request is dropped so it does not loop
        log.error("rescan of %s failed (%s)", scan_id, type(exc).__name__)
        with services.db.session() as session:
            current = repo.get_scan(session, scan_id)
            if current is not None:
                current.rescan_requested_at = None
        return "failed"


def _retention(task: Task[Any, Any]) -> dict[str, int]:
    return jobs.purge(get_services())


scan = app.task(bind=True, name=SCAN_TASK, acks_late=True)(_scan)
rescan = app.task(bind=True, name=RESCAN_TASK, acks_late=True)(_rescan)
retention = app.task(bind=True, name=RETENTION_TASK, time_limit=600)(_retention)
deliver_webhook = app.task(bind=True, name=DELIVER_TASK, acks_late=True, soft_time_limit=60, time_limit=90)(_deliver)
sweep = app.task(bind=True, name=SWEEP_TASK, time_limit=120)(_sweep)
