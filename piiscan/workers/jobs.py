"""The work itself, free of Celery: scan one upload, deliver one webhook, sweep lost work.

The Celery tasks in :mod:`piiscan.workers.tasks` are thin wrappers that add retries and
time limits; the embedded mode runs the same tasks in a thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from piiscan.privacy.keys import EvidenceKeys
from piiscan.rules.context import ScanContext, Uploader
from piiscan.rules.ownership import OwnershipMatcher
from piiscan.scanner.model import Finding
from piiscan.scanner.pipeline import Scanner
from piiscan.storage import StorageError, StorageUnavailableError
from piiscan.store import repo, retention, review
from piiscan.store.models import Scan, ScanRow, Upload, UploadRow, WebhookDelivery, utcnow
from piiscan.store.views import webhook_body
from piiscan.tenancy import Tenancy
from piiscan.workers import webhooks
from piiscan.workers.services import Services

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    StorageUnavailableError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)
"""Worth a retry with backoff: the store or the database is briefly away. Nothing else is retried."""

ScanOutcome = Literal["done", "reused", "failed", "skipped"]
DeliveryOutcome = Literal["delivered", "failed", "retry", "skipped"]


@dataclass(frozen=True, slots=True)
class _Job:
    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    context: ScanContext
    stop_at_critical: bool = False


def backoff_s(retries: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: base·2^n, at most ``cap``, between half and all of it."""
    delay: float = min(cap, base * (2**retries))
    return delay * (0.5 + random.random() / 2)


def context_of(upload: Upload | UploadRow, keys: EvidenceKeys | None = None) -> ScanContext:
    """The scan context of an upload: its raw identity while the first scan runs, afterwards (a
    rescan) the identity's keyed hashes, which give the same owners without the values."""
    visibility = upload.visibility if upload.visibility in ("public", "unlisted", "private") else "public"
    uploader = Uploader(
        user_id=upload.uploader_id,
        name=upload.uploader_name,
        emails=tuple(upload.uploader_emails or ()),
        phones=tuple(upload.uploader_phones or ()),
        keyed=keys.keyed_identity(upload.uploader_keys) if keys is not None else None,
    )
    return ScanContext(uploader=uploader, visibility=visibility, tenant=upload.tenant)  # type: ignore[arg-type]


def context_key(context: ScanContext, secret: str, stop_at_critical: bool = False) -> str:
    """A keyed hash of everything in the context that can change a verdict (the values stay secret).

    A scan that may stop at its first critical page has a key of its own: its report can be
    partial, so a scan that must read every page never reuses it."""
    uploader = context.uploader
    fields: dict[str, object] = {
        "name": " ".join((uploader.name or "").casefold().split()),
        "emails": sorted(e.strip().casefold() for e in uploader.emails),
        "phones": sorted("".join(ch for ch in p if ch.isdigit()) for p in uploader.phones),
        "visibility": context.visibility,
        "tenant": context.tenant,
    }
    if stop_at_critical:
        fields["stop_at_critical"] = True  # absent otherwise: earlier keys stay valid
    canonical = json.dumps(fields, sort_keys=True)
    return hmac.new(secret.encode(), b"piiscan-context:" + canonical.encode(), hashlib.sha256).hexdigest()


def keep_identity_keys(
    upload: Upload | UploadRow, keys: EvidenceKeys, own: list[tuple[str, str]] | None = None
) -> None:
    """Store the uploader identity as keyed hashes before the raw fields are erased (first scan only)."""
    if not (upload.uploader_name or upload.uploader_emails or upload.uploader_phones):
        return
    upload.uploader_keys = keys.identity(
        upload.uploader_name, upload.uploader_emails or (), upload.uploader_phones or (), own or ()
    )


def own_values(scanner: Scanner, uploader: Uploader, findings: list[Finding]) -> list[tuple[str, str]]:
    """The findings the uploader's raw identity claims directly (fuzzy names, +tags, OCR slips):
    their keyed hashes join the identity so a rescan without the raw identity agrees."""
    if not uploader.raw_known:
        return []
    limits = scanner.rules.ruleset.thresholds
    matcher = OwnershipMatcher(
        uploader, limits.name_similarity, limits.min_person_tokens, limits.attribution_window_chars
    )
    return [(f.entity_type, f.text) for f in findings if matcher.direct_owner(f) == "own"]


def finding_hashes(keys: EvidenceKeys, findings: list[Finding]) -> repo.Hashes:
    return [keys.hash_finding(f.entity_type, f.text) for f in findings]


def _queue_webhook(session: Session, scan: Scan | ScanRow, event: str) -> str | None:
    url = scan.upload.callback_url
    if not url:
        return None
    return repo.queue_delivery(session, scan.id, event, url, webhook_body(scan, event))


def _reuse_by_checksum(
    services: Services, session: Session, scan: ScanRow, job: _Job, rules: str, key: str
) -> tuple[bool, str | None]:
    """Reuse an earlier result when the store vouches for the bytes' SHA-256 (S3 ``ChecksumSHA256``),
    without downloading them: ``(True, the webhook's delivery id)``. ``(False, None)`` (nothing
    changed) when it keeps none, or anything is off: the download path then decides, and reports
    storage errors where it always did.

    The hook's HEAD, which identified the announced version (ETag or version id), read the store's
    SHA-256 of it too (``Upload.sha256``): then there is no request to the store at all. Otherwise
    (a row from before that column, a store that kept no SHA-256 then) the worker asks with a HEAD."""
    sha256 = scan.upload.sha256
    if sha256 is None:
        try:
            info = services.store.stat(job.bucket, job.key, job.version_id)
        except StorageError:
            return False, None
        if info.sha256 is None or (job.etag is not None and info.etag != job.etag):
            return False, None
        sha256 = info.sha256
    earlier = repo.find_reusable(session, sha256, rules, key, scan.id)
    if earlier is None:
        return False, None
    source = f"s3://{job.bucket}/{job.key}"
    delivery_id = repo.reuse_scan(session, scan, earlier, source, key, services.settings.review_min_severity)
    log.info("scan %s reused the result of scan %s (store checksum, rules and context)", scan.id, earlier.id)
    return True, delivery_id


def run_scan(services: Services, scan_id: str, retrying: bool = False) -> ScanOutcome:
    """Fetch, scan (or reuse an earlier result of the same bytes), persist, queue the webhook.

    ``retrying``: this is the task's retry after a transient error (see :func:`repo.begin_attempt`).
    The attempt and a reuse are Core statements on a detached copy of the scan (the hot path of a
    rescan); a real scan's result goes through the ORM."""
    settings = services.settings
    secret = settings.key_for("context")
    keys = EvidenceKeys.from_settings(settings)
    delivery_id: str | None = None
    outcome: ScanOutcome | None = None
    job: _Job | None = None
    scanner = services.scanner()  # loaded before the transaction below takes the scan's row lock
    with services.db.session() as session:
        scan = repo.begin_attempt(session, scan_id, retrying)  # written below, or with the reuse
        if scan is None:
            return "skipped"
        if scan.worker_losses >= settings.scan_max_attempts:
            repo.save_attempt(session, scan)
            reason = (
                f"The worker stopped {scan.worker_losses} times while scanning this object (killed, out of memory "
                f"or over the {settings.task_time_limit_s} s hard time limit); it is not tried again."
            )
            delivery_id = _fail(session, scan_id, "worker_lost", reason)
            outcome = "failed"
        elif not Tenancy.of(settings).in_scope(scan.upload.tenant, scan.upload.bucket, scan.upload.object_key):
            repo.save_attempt(session, scan)
            delivery_id = _fail(session, scan_id, "out_of_scope", _OUT_OF_SCOPE)
            outcome = "failed"
        else:
            upload = scan.upload
            keep_identity_keys(upload, keys)  # a scan that fails from here on still leaves the hashes
            stop = upload.stop_at_first_critical
            job = _Job(
                upload.bucket,
                upload.object_key,
                upload.version_id,
                upload.etag,
                context_of(upload, keys),
                settings.stop_at_first_critical if stop is None else stop,
            )
            key = context_key(job.context, secret, job.stop_at_critical)
            reused, delivery_id = _reuse_by_checksum(services, session, scan, job, scanner.rules.version, key)
            if reused:  # the attempt, the reuse and the webhook in one transaction: one commit, no download
                outcome = "reused"
            else:
                repo.save_attempt(session, scan)
                repo.save_identity_keys(session, upload)
    if outcome is not None or job is None:
        _dispatch_delivery(services, delivery_id)
        return outcome or "failed"

    source = f"s3://{job.bucket}/{job.key}"
    report = None
    with services.store.download(
        job.bucket, job.key, version_id=job.version_id, etag=job.etag, max_bytes=settings.max_file_bytes
    ) as downloaded:
        with services.db.session() as session:
            earlier = repo.find_reusable(session, downloaded.sha256, scanner.rules.version, key, scan_id)
            if earlier is not None:
                locked = repo.lock_scan(session, scan_id)
                if locked is None or locked.status in repo.FINISHED:
                    return "skipped"
                delivery_id = repo.reuse_scan(session, locked, earlier, source, key, settings.review_min_severity)
                log.info("scan %s reused the result of scan %s (same bytes, rules and context)", scan_id, earlier.id)
        if earlier is None:
            output = scanner.scan(downloaded.read_bytes(), source, job.context, stop_at_critical=job.stop_at_critical)
            _raise_if_timed_out(output.result.error)
            report = output.result.to_dict(reveal=False)
            hashes = finding_hashes(keys, output.result.findings)
            own = own_values(scanner, job.context.uploader, output.result.findings)
    if report is not None:
        with services.db.session() as session:
            current = session.get(Scan, scan_id, with_for_update=True)
            if current is None or current.status in repo.FINISHED:
                return "skipped"
            keep_identity_keys(current.upload, keys, own)
            repo.complete_scan(session, current, report, key, hashes)
            review.enqueue_finished_scan(session, current, settings.review_min_severity)
            delivery_id = _queue_webhook(session, current, "scan.completed")
        log.info("scan %s done: %s in %s ms", scan_id, report["verdict"], report.get("elapsed_ms"))
    _dispatch_delivery(services, delivery_id)
    return "reused" if report is None else "done"


RescanOutcome = Literal["done", "skipped"]


def run_rescan(services: Services, scan_id: str) -> RescanOutcome:
    """A priority rescan asked for by an abuse report on a finished scan.

    The raw uploader identity is gone by now; the keyed one gives the same ownership verdict.
    The result replaces the scan's (history kept), raises or creates the review item, and the
    platform gets a ``scan.completed`` webhook again. Nothing is reused: this is a fresh look."""
    settings = services.settings
    keys = EvidenceKeys.from_settings(settings)
    lease = timedelta(seconds=settings.task_time_limit_s)
    with services.db.session() as session:
        if not repo.claim_rescan(session, scan_id, lease):  # done, not asked for, or running elsewhere
            return "skipped"
        scan = session.get(Scan, scan_id)
        assert scan is not None
        upload = scan.upload
        if not Tenancy.of(settings).in_scope(upload.tenant, upload.bucket, upload.object_key):
            log.warning("rescan %s skipped: the object is outside its tenant's scopes", scan_id)
            return "skipped"
        job = _Job(upload.bucket, upload.object_key, upload.version_id, upload.etag, context_of(upload, keys))
    try:
        return _rescan_claimed(services, scan_id, job, keys)
    except BaseException:
        with contextlib.suppress(Exception), services.db.session() as session:
            repo.release_rescan(session, scan_id)
        raise


def _rescan_claimed(services: Services, scan_id: str, job: _Job, keys: EvidenceKeys) -> RescanOutcome:
    settings = services.settings
    source = f"s3://{job.bucket}/{job.key}"
    scanner = services.scanner()
    with services.store.download(
        job.bucket, job.key, version_id=job.version_id, etag=job.etag, max_bytes=settings.max_file_bytes
    ) as downloaded:
        output = scanner.scan(downloaded.read_bytes(), source, job.context)
    _raise_if_timed_out(output.result.error)
    report = output.result.to_dict(reveal=False)
    hashes = finding_hashes(keys, output.result.findings)
    with services.db.session() as session:
        current = session.get(Scan, scan_id, with_for_update=True)
        if current is None or current.status != "done" or current.rescan_requested_at is None:
            return "skipped"
        repo.replace_result(session, current, report, hashes)
        review.enqueue_finished_scan(session, current, settings.review_min_severity, rescan=True)
        delivery_id = _queue_webhook(session, current, "scan.completed")
    log.info("scan %s rescanned: %s", scan_id, report["verdict"])
    _dispatch_delivery(services, delivery_id)
    return "done"


def _raise_if_timed_out(error: dict[str, str] | None) -> None:
    """The scanner turns every exception into an outcome, Celery's soft time limit too: undo that one."""
    if error and error.get("code") == "internal_error" and "SoftTimeLimitExceeded" in error.get("message", ""):
        from celery.exceptions import SoftTimeLimitExceeded

        raise SoftTimeLimitExceeded()


_OUT_OF_SCOPE = (
    "The object is outside the scopes of the tenant that asked for the scan (PIISCAN_TENANT_SCOPES changed after "
    "it was queued); it was not read."
)
"""The worker checks the scope again before it downloads: the hook checked it against the settings of its
time, and a queued message outlives a change of scopes."""


def _fail(session: Session, scan_id: str, code: str, reason: str) -> str | None:
    scan = repo.fail_scan(session, scan_id, code, reason)
    if scan is None:
        return None
    log.warning("scan %s failed: %s", scan_id, code)
    return _queue_webhook(session, scan, "scan.failed")


def fail_scan(services: Services, scan_id: str, code: str, reason: str) -> None:
    """End a scan in ``failed`` with its reason and notify the callback (no-op once finished)."""
    with services.db.session() as session:
        delivery_id = _fail(session, scan_id, code, reason)
    _dispatch_delivery(services, delivery_id)


def requeue_scan(services: Services, scan_id: str) -> None:
    """Before a retry: the scan waits in ``queued`` (so the retry is not taken for a lost worker)."""
    with services.db.session() as session:
        repo.back_to_queue(session, scan_id)


def _dispatch_delivery(services: Services, delivery_id: str | None) -> None:
    if delivery_id is None:
        return
    try:
        services.dispatcher.deliver(delivery_id)
    except Exception as exc:  # the sweeper sends pending deliveries again
        log.warning("could not queue webhook delivery %s (%s)", delivery_id, type(exc).__name__)


def deliver(services: Services, delivery_id: str) -> tuple[DeliveryOutcome, int]:
    """POST one pending delivery; returns the outcome and the attempts made so far."""
    settings = services.settings
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return "skipped", 0
        url, body, event = delivery.url, delivery.body, delivery.event
    try:  # again at delivery time: the name may resolve elsewhere now than when the hook accepted it
        webhooks.check_destination(url, settings.callback_networks(), settings.callback_allowed_hosts)
    except webhooks.DestinationUnresolvedError:
        pass  # a DNS failure now: the POST fails the same way and is retried with backoff
    except webhooks.DestinationNotAllowedError as exc:
        return _refuse_delivery(services, delivery_id, str(exc))
    outcome = webhooks.post(
        url,
        body.encode(),
        settings.key_for("webhook"),
        event,
        delivery_id,
        settings.webhook_timeout_s,
    )
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.status != "pending":
            return "skipped", 0
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        delivery.updated_at = utcnow()
        if outcome.ok:
            delivery.status = "delivered"
            delivery.delivered_at = utcnow()
            result: DeliveryOutcome = "delivered"
        elif delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = "failed"
            result = "failed"
        else:
            result = "retry"
        attempts = delivery.attempts
    log.info("webhook delivery %s: %s (HTTP %s)", delivery_id, result, outcome.status_code)
    return result, attempts


def _refuse_delivery(services: Services, delivery_id: str, reason: str) -> tuple[DeliveryOutcome, int]:
    """A destination the settings forbid fails at once: retrying would not make it allowed."""
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.status != "pending":
            return "skipped", 0
        delivery.attempts += 1
        delivery.status = "failed"
        delivery.last_status_code = None
        delivery.last_error = f"not sent: {reason}"
        delivery.updated_at = utcnow()
        attempts = delivery.attempts
    log.warning("webhook delivery %s refused: destination not allowed", delivery_id)
    return "failed", attempts


def sweep(services: Services) -> tuple[int, int]:
    """Send again the scans and deliveries that have waited too long (a lost message, a broker restart)."""
    older = timedelta(seconds=services.settings.stale_scan_s)
    with services.db.session() as session:
        scans = repo.stale_scans(session, older)
        for scan_id in scans:
            repo.touch_scan(session, scan_id)
        rescans = repo.stale_rescans(session, older, lease=timedelta(seconds=services.settings.task_time_limit_s))
        for scan_id in rescans:
            repo.touch_rescan(session, scan_id)
        deliveries = repo.stale_deliveries(session, older)
        for delivery_id in deliveries:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is not None:
                delivery.updated_at = utcnow()
    for scan_id in scans:
        services.dispatcher.scan(scan_id)
    for scan_id in rescans:
        services.dispatcher.rescan(scan_id)
    for delivery_id in deliveries:
        services.dispatcher.deliver(delivery_id)
    if scans or deliveries or rescans:
        log.warning("sweeper re-sent %d scans and %d webhook deliveries", len(scans), len(deliveries))
    return len(scans), len(deliveries)


def purge(services: Services, now: datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Retention: purge or de-identify what is past its period (``dry_run``: only count it)."""
    at = now or utcnow()
    with services.db.session() as session:
        if dry_run:
            return retention.plan(session, services.settings.retention, at)
        counts = retention.apply(session, services.settings.retention, at)
    services.db.reclaim(retention.PURGED_TABLES)  # also the identities erased as scans ended since the last run
    if any(counts.values()):
        log.info("retention purge: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    return counts
