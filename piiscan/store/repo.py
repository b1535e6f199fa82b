"""Repository functions: every read and write the API and the workers make.

Idempotency lives here: an upload is unique per (tenant, bucket, key, version) and has one
scan, created in the same transaction, so however many hooks race for the same object
version, one scan exists and every caller gets its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from piiscan.store import review
from piiscan.store.db import Database
from piiscan.store.models import (
    SCAN_ROW_FIELDS,
    UPLOAD_ROW_FIELDS,
    FindingRow,
    ReviewItem,
    Scan,
    ScanRow,
    Upload,
    UploadRow,
    VerdictRow,
    WebhookDelivery,
    new_id,
    utcnow,
)
from piiscan.store.views import webhook_body

FINISHED = ("done", "failed")

SCANS: Table = Scan.__table__  # type: ignore[assignment]
UPLOADS: Table = Upload.__table__  # type: ignore[assignment]
FINDINGS: Table = FindingRow.__table__  # type: ignore[assignment]
VERDICTS: Table = VerdictRow.__table__  # type: ignore[assignment]
DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]
ITEMS: Table = ReviewItem.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class NewUpload:
    tenant: str
    bucket: str
    key: str
    version: str
    version_id: str | None
    etag: str | None
    size: int | None
    origin: str
    visibility: str | None = None
    uploader_id: str | None = None
    uploader_name: str | None = None
    uploader_emails: tuple[str, ...] = ()
    uploader_phones: tuple[str, ...] = ()
    callback_url: str | None = None
    uploader_ip: str | None = None
    uploader_user_agent: str | None = None
    stop_at_first_critical: bool | None = None
    sha256: str | None = None
    """The store's verified SHA-256 of this version, from the HEAD that gave ``version`` (never the caller's word)."""


def request_scan(db: Database, new: NewUpload) -> tuple[Scan, bool]:
    """The scan of this object version: ``(scan, True)`` when created now, ``(scan, False)`` when it existed."""
    try:
        with db.session() as session:
            upload = Upload(
                tenant=new.tenant,
                bucket=new.bucket,
                object_key=new.key,
                version=new.version,
                version_id=new.version_id,
                etag=new.etag,
                size=new.size,
                origin=new.origin,
                visibility=new.visibility,
                uploader_id=new.uploader_id,
                uploader_name=new.uploader_name,
                uploader_emails=list(new.uploader_emails) or None,
                uploader_phones=list(new.uploader_phones) or None,
                callback_url=new.callback_url,
                uploader_ip=new.uploader_ip,
                uploader_user_agent=new.uploader_user_agent,
                stop_at_first_critical=new.stop_at_first_critical,
                sha256=new.sha256,
            )
            session.add(upload)
            session.flush()
            scan = Scan(
                upload_id=upload.id, tenant=new.tenant, status="queued", attempts=0, worker_losses=0, size=new.size
            )
            session.add(scan)
            session.flush()
            return scan, True
    except IntegrityError:
        pass
    with db.session() as session:
        existing = session.scalars(
            select(Scan)
            .join(Upload)
            .where(
                Upload.tenant == new.tenant,
                Upload.bucket == new.bucket,
                Upload.object_key == new.key,
                Upload.version == new.version,
            )
        ).one()
        return existing, False


def get_scan(session: Session, scan_id: str) -> Scan | None:
    return session.get(Scan, scan_id)


# The worker's hot path (an attempt, a reuse) runs these statements, built once: SQLAlchemy then
# only looks up their compiled form; an UPDATE's SET clause is the keys of its parameters.
_LOCK = (
    select(
        *(SCANS.c[name] for name in SCAN_ROW_FIELDS),
        # stable while the scan is locked: an abuse report locks the scan before it makes an item
        exists().where(ITEMS.c.scan_id == SCANS.c.id).label("has_review_item"),
        *(UPLOADS.c[name] for name in UPLOAD_ROW_FIELDS),
    )
    .join_from(SCANS, UPLOADS, SCANS.c.upload_id == UPLOADS.c.id)
    .where(SCANS.c.id == bindparam("scan_id"))
    .with_for_update(of=SCANS)
)
_UPDATE_SCAN = update(SCANS).where(SCANS.c.id == bindparam("scan_id"))
_UPDATE_UPLOAD = update(UPLOADS).where(UPLOADS.c.id == bindparam("upload_id"))
_SCAN_WIDTH = len(SCAN_ROW_FIELDS) + 1


def lock_scan(session: Session, scan_id: str) -> ScanRow | None:
    """The scan and its upload, the scan's row locked (``FOR UPDATE OF scans``), read in one Core
    statement as plain copies (:class:`ScanRow`), not ORM instances: nothing set on them is saved.
    The worker's hot path writes with Core statements (:func:`save_attempt`, :func:`reuse_scan`)."""
    row = session.connection().execute(_LOCK, {"scan_id": scan_id}).first()
    if row is None:
        return None
    return ScanRow(UploadRow(*row[_SCAN_WIDTH:]), *row[:_SCAN_WIDTH])


def begin_attempt(session: Session, scan_id: str, retrying: bool = False) -> ScanRow | None:
    """The scan locked, with this attempt counted but not yet written (:func:`save_attempt`, or
    :func:`reuse_scan` with its result); None when it is unknown or already finished.

    A scan found ``running`` was being scanned by a worker that died (or hit the hard time
    limit) without finishing it: that is counted in ``worker_losses``. Not so when this is the
    task's own retry (``retrying``): the previous attempt ended in a transient error while the
    database was away, so it could not put the scan back in ``queued``."""
    scan = lock_scan(session, scan_id)
    if scan is None or scan.status in FINISHED:
        return None
    if scan.status == "running" and not retrying:
        scan.worker_losses += 1
    scan.status = "running"
    scan.attempts += 1
    scan.started_at = utcnow()
    return scan


def _attempt(scan: ScanRow) -> dict[str, Any]:
    return {"attempts": scan.attempts, "worker_losses": scan.worker_losses, "started_at": scan.started_at}


def save_attempt(session: Session, scan: ScanRow) -> None:
    """Write :func:`begin_attempt`'s values: the scan is ``running``."""
    session.connection().execute(_UPDATE_SCAN, {"scan_id": scan.id, "status": scan.status, **_attempt(scan)})


def start_attempt(session: Session, scan_id: str, retrying: bool = False) -> ScanRow | None:
    """Mark the scan running and count the attempt (:func:`begin_attempt` and :func:`save_attempt`);
    None when it is unknown or already finished."""
    scan = begin_attempt(session, scan_id, retrying)
    if scan is not None:
        save_attempt(session, scan)
    return scan


def save_identity_keys(session: Session, upload: UploadRow) -> None:
    """Write the keyed identity set on a detached upload (:func:`lock_scan`) while its raw fields exist."""
    if upload.uploader_keys is not None and _has_raw_identity(upload):
        session.connection().execute(_UPDATE_UPLOAD, {"upload_id": upload.id, "uploader_keys": upload.uploader_keys})


def _has_raw_identity(upload: UploadRow) -> bool:
    return upload.uploader_name is not None or upload.uploader_emails is not None or upload.uploader_phones is not None


def back_to_queue(session: Session, scan_id: str) -> None:
    session.execute(update(Scan).where(Scan.id == scan_id, Scan.status == "running").values(status="queued"))


@dataclass(frozen=True, slots=True)
class Reusable:
    """What a reuse copies from an earlier scan (its finding rows are copied by the database)."""

    id: str
    sha256: str | None
    media_type: str | None
    size: int | None
    pages: int | None
    verdict: str | None
    severity: str | None
    rule_pack_version: str | None
    elapsed_ms: float | None
    report: dict[str, Any] | None
    uploader_keys: dict[str, Any] | None
    """The earlier upload's keyed identity (the same identity: the context key is the same)."""
    finding_types: str | None
    """The entity types of its finding rows, comma-separated (None without findings)."""

    @property
    def entity_types(self) -> set[str]:
        return set(self.finding_types.split(",")) if self.finding_types else set()


_REUSED_COLUMNS = ("id", "sha256", "media_type", "size", "pages", "verdict", "severity", "rule_pack_version")
_FIND_REUSABLE = (
    select(
        *(SCANS.c[name] for name in _REUSED_COLUMNS),
        SCANS.c.elapsed_ms,
        SCANS.c.report,
        UPLOADS.c.uploader_keys,
        select(func.aggregate_strings(FINDINGS.c.entity_type, ","))
        .where(FINDINGS.c.scan_id == SCANS.c.id)
        .scalar_subquery(),
    )
    .join_from(SCANS, UPLOADS, SCANS.c.upload_id == UPLOADS.c.id)
    .where(
        SCANS.c.sha256 == bindparam("sha256"),
        SCANS.c.rule_pack_version == bindparam("rule_pack_version"),
        SCANS.c.context_key == bindparam("context_key"),
        SCANS.c.status == "done",
        SCANS.c.verdict != "error",
        SCANS.c.evidence_purged_at.is_(None),
        SCANS.c.id != bindparam("exclude"),
    )
    .order_by(SCANS.c.finished_at)
    .limit(1)
)


def find_reusable(
    session: Session, sha256: str, rule_pack_version: str, context_key: str, exclude: str
) -> Reusable | None:
    """A finished scan of the same bytes, rules and context whose result can be reused."""
    params = {"sha256": sha256, "rule_pack_version": rule_pack_version, "context_key": context_key, "exclude": exclude}
    row = session.connection().execute(_FIND_REUSABLE, params).first()
    return None if row is None else Reusable(*cast(tuple[Any, ...], row))


def _finish(scan: Scan) -> None:
    scan.finished_at = utcnow()
    upload = scan.upload
    upload.uploader_name = None
    upload.uploader_emails = None
    upload.uploader_phones = None


Hashes = list[tuple[str, str] | None]
"""Per finding of a report, in order: ``(key id, keyed hash)`` of its normalised value, or None."""


def _apply_report(scan: Scan, report: dict[str, Any], hashes: Hashes | None, decided_by: str) -> None:
    """The masked report, its finding rows with their keyed hashes, and a verdict row by ``decided_by``."""
    scan.status = "done"
    scan.failure_code = scan.failure_reason = None
    for name in ("sha256", "media_type", "size", "pages"):
        setattr(scan, name, report.get(name))
    scan.verdict = report["verdict"]
    scan.severity = report["severity"]
    scan.rule_pack_version = report.get("rule_pack_version")
    scan.report = report
    scan.elapsed_ms = report.get("elapsed_ms")
    for i, finding in enumerate(report["findings"]):
        scan.findings.append(_finding_row(finding, hashes[i] if hashes and i < len(hashes) else None))
    scan.verdicts.append(
        VerdictRow(
            verdict=report["verdict"],
            severity=report["severity"],
            rule_pack_version=report.get("rule_pack_version"),
            rules=report["rules"],
            decided_by=decided_by,
        )
    )
    _finish(scan)


def complete_scan(
    session: Session, scan: Scan, report: dict[str, Any], context_key: str, hashes: Hashes | None = None
) -> None:
    """Store the masked report (``ScanResult.to_dict(reveal=False)``), its findings with the keyed
    hashes of their values, and the scanner's verdict, and erase the uploader identity. The store
    never receives raw values."""
    scan.context_key = context_key
    _apply_report(scan, report, hashes, "scanner")


def replace_result(session: Session, scan: Scan, report: dict[str, Any], hashes: Hashes | None = None) -> None:
    """A priority rescan's result replaces the findings, verdict and report of a finished scan
    (the verdict history keeps the earlier one); the scan's reuse identity stays as it was."""
    for row in list(scan.findings):
        scan.findings.remove(row)
    session.flush()
    scan.evidence_purged_at = None
    scan.rescans += 1
    scan.rescan_requested_at = None
    scan.rescan_started_at = None
    scan.report_rescan_at = utcnow()  # the cool-down counts from the end of the rescan
    _apply_report(scan, report, hashes, "rescan")


# A reuse's writes. Every value is a parameter (defaults too): on PostgreSQL they run as one
# statement of data-modifying CTEs, where SQLAlchemy fills in no Python-side default. No parameter
# is named like a column of a table written here (SQLAlchemy would add it to that table's SET).
_REUSE_SET = (
    "status",
    "failure_code",
    "failure_reason",
    "attempts",
    "worker_losses",
    "started_at",
    "sha256",
    "media_type",
    "size",
    "pages",
    "verdict",
    "severity",
    "rule_pack_version",
    "elapsed_ms",
    "context_key",
    "report",
    "reused_from",
    "finished_at",
)
_REUSE_SCAN = (
    update(SCANS)
    .where(SCANS.c.id == bindparam("for_scan"))
    .values({name: bindparam(f"scan_{name}", type_=SCANS.c[name].type) for name in _REUSE_SET})
    .values(updated_at=bindparam("now", type_=SCANS.c.updated_at.type))
)
_FINDING_COPY = tuple(c.name for c in FINDINGS.c if c.name not in ("id", "scan_id"))
_COPY_FINDINGS = insert(FINDINGS).from_select(  # inside the database, in their order: nothing read or sent
    ("scan_id", *_FINDING_COPY),
    select(bindparam("for_scan", type_=FINDINGS.c.scan_id.type), *(FINDINGS.c[name] for name in _FINDING_COPY))
    .where(FINDINGS.c.scan_id == bindparam("earlier_id"))
    .order_by(FINDINGS.c.id),
)
_VERDICT_SET = ("verdict", "severity", "rule_pack_version", "rules", "decided_by")
_ADD_VERDICT = insert(VERDICTS).values(
    scan_id=bindparam("for_scan"),
    created_at=bindparam("now", type_=VERDICTS.c.created_at.type),
    **{name: bindparam(f"verdict_{name}", type_=VERDICTS.c[name].type) for name in _VERDICT_SET},
)
_DELIVERY_SET = ("id", "event", "url", "body", "status", "attempts")
_ADD_DELIVERY = insert(DELIVERIES).values(
    scan_id=bindparam("for_scan"),
    created_at=bindparam("now", type_=DELIVERIES.c.created_at.type),
    updated_at=bindparam("now", type_=DELIVERIES.c.updated_at.type),
    **{name: bindparam(f"delivery_{name}", type_=DELIVERIES.c[name].type) for name in _DELIVERY_SET},
)
_TOGETHER: dict[tuple[UpdateBase, ...], Select[Any]] = {}


def _write_reuse(conn: Connection, writes: tuple[UpdateBase, ...], params: dict[str, Any]) -> None:
    """The reuse's writes. On PostgreSQL one statement (data-modifying CTEs: one round trip, one
    snapshot, so no write may depend on another's; none does) that also turns off this
    transaction's commit wait (``set_config('synchronous_commit', 'off', true)``, as ``SET LOCAL``);
    elsewhere the same statements one by one."""
    if conn.dialect.name != "postgresql":
        for write in writes:
            conn.execute(write, params)
        return
    together = _TOGETHER.get(writes)
    if together is None:  # built once per combination (of six): later calls only look it up
        ctes = [write.cte(f"reuse_{i}") for i, write in enumerate(writes)]
        together = _TOGETHER[writes] = select(func.set_config("synchronous_commit", "off", True)).add_cte(*ctes)
    conn.execute(together, params)


def reuse_scan(
    session: Session, scan: ScanRow, earlier: Reusable, source: str, context_key: str, min_severity: str
) -> str | None:
    """Give ``scan`` (locked: :func:`lock_scan`, or :func:`begin_attempt` whose attempt this writes
    too) the result of ``earlier`` (same bytes, rules and context), pointing at its own object: the
    report, copies of the finding rows (keyed hashes included), a verdict row, the review item when
    flagged or made by an abuse report (:func:`review.reused_item`), the uploader's raw identity
    erased, and the ``scan.completed`` webhook queued when the upload has a callback URL (its
    delivery id is returned). ``scan`` gets the values written, for the webhook's document.

    One statement on PostgreSQL (:func:`_write_reuse`), and a second one when the upload has
    something to erase. The transaction commits without waiting for its WAL flush (PostgreSQL's
    ``synchronous_commit`` off, for this transaction only): a reuse lost to a database crash in the
    next few hundred milliseconds leaves the scan queued or running, and the sweeper runs it
    again, reusing again. The flush wait (about 4 ms on a laptop disk) would be most of a reuse's cost."""
    report = dict(earlier.report or {})
    report["source"] = source
    report["reused_from"] = earlier.id
    now = utcnow()
    scan.status, scan.failure_code, scan.failure_reason = "done", None, None
    scan.sha256, scan.verdict, scan.severity = earlier.sha256, earlier.verdict, earlier.severity
    scan.rule_pack_version, scan.report, scan.reused_from = earlier.rule_pack_version, report, earlier.id
    scan.finished_at = now
    values = {
        **_attempt(scan),  # this attempt's count, when it is the one reusing
        "status": "done",
        "failure_code": None,
        "failure_reason": None,
        **{name: getattr(earlier, name) for name in _REUSED_COLUMNS[1:]},
        "elapsed_ms": earlier.elapsed_ms,
        "context_key": context_key,
        "report": report,
        "reused_from": earlier.id,
        "finished_at": now,
    }
    params: dict[str, Any] = {
        "for_scan": scan.id,
        "earlier_id": earlier.id,
        "now": now,
        **{f"scan_{name}": value for name, value in values.items()},
        "verdict_verdict": earlier.verdict or "error",
        "verdict_severity": earlier.severity or "none",
        "verdict_rule_pack_version": earlier.rule_pack_version,
        "verdict_rules": report.get("rules", []),
        "verdict_decided_by": "scanner",
    }
    writes: tuple[UpdateBase, ...] = (_REUSE_SCAN, _COPY_FINDINGS, _ADD_VERDICT)
    item = review.reused_item(scan, earlier.entity_types, min_severity, now, session.get_bind().dialect.name)
    if item is not None:
        writes += (item[0],)
        params.update(item[1])
    delivery_id = None
    url = scan.upload.callback_url
    if url:
        delivery_id = new_id()
        writes += (_ADD_DELIVERY,)
        params.update(_delivery(delivery_id, "scan.completed", url, webhook_body(scan, "scan.completed")))
    conn = session.connection()
    _write_reuse(conn, writes, params)
    upload = scan.upload
    changes: dict[str, Any] = {}
    if earlier.uploader_keys:
        changes["uploader_keys"] = earlier.uploader_keys  # the same identity (same context key)
    elif _has_raw_identity(upload) and upload.uploader_keys is not None:
        changes["uploader_keys"] = upload.uploader_keys  # kept by the worker before the erasure below
    if _has_raw_identity(upload):
        changes.update(uploader_name=None, uploader_emails=None, uploader_phones=None)
    if item is None and (upload.uploader_ip is not None or upload.uploader_user_agent is not None):
        changes.update(uploader_ip=None, uploader_user_agent=None)  # never disclosed without an item: not kept
    if changes:
        conn.execute(_UPDATE_UPLOAD, {"upload_id": upload.id, **changes})
    return delivery_id


def _delivery(delivery_id: str, event: str, url: str, body: str) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "delivery_event": event,
        "delivery_url": url,
        "delivery_body": body,
        "delivery_status": "pending",
        "delivery_attempts": 0,
    }


def fail_scan(session: Session, scan_id: str, code: str, reason: str) -> Scan | None:
    """End the scan in the visible ``failed`` state with its reason (no-op once finished)."""
    scan = session.get(Scan, scan_id, with_for_update=True)
    if scan is None or scan.status in FINISHED:
        return None
    scan.status = "failed"
    scan.failure_code = code
    scan.failure_reason = reason
    _finish(scan)
    return scan


def _finding_row(finding: dict[str, Any], keyed: tuple[str, str] | None = None) -> FindingRow:
    return FindingRow(
        key_id=keyed[0] if keyed else None,
        value_hash=keyed[1] if keyed else None,
        entity_type=finding["entity_type"],
        score=finding["score"],
        page=finding["page"],
        source=finding["source"],
        masked=finding["masked"],
        bbox=finding.get("bbox"),
        start=finding.get("start"),
        end=finding.get("end"),
        origin=finding.get("origin"),
    )


def add_delivery(session: Session, scan: Scan, event: str, url: str, body: str) -> WebhookDelivery:
    delivery = WebhookDelivery(scan_id=scan.id, event=event, url=url, body=body, status="pending", attempts=0)
    session.add(delivery)
    session.flush()
    return delivery


def queue_delivery(session: Session, scan_id: str, event: str, url: str, body: str) -> str:
    """:func:`add_delivery` in one Core INSERT, nothing flushed (the worker's paths); its id."""
    delivery_id = new_id()
    params = {"for_scan": scan_id, "now": utcnow(), **_delivery(delivery_id, event, url, body)}
    session.connection().execute(_ADD_DELIVERY, params)
    return delivery_id


def stale_scans(session: Session, older_than: timedelta, now: datetime | None = None) -> list[str]:
    cutoff = (now or utcnow()) - older_than
    return list(
        session.scalars(select(Scan.id).where(Scan.status.in_(("queued", "running")), Scan.updated_at < cutoff))
    )


def stale_deliveries(session: Session, older_than: timedelta, now: datetime | None = None) -> list[str]:
    cutoff = (now or utcnow()) - older_than
    return list(
        session.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.status == "pending", WebhookDelivery.updated_at < cutoff)
        )
    )


def touch_scan(session: Session, scan_id: str) -> None:
    session.execute(update(Scan).where(Scan.id == scan_id).values(updated_at=utcnow()))


def stale_rescans(
    session: Session, older_than: timedelta, now: datetime | None = None, lease: timedelta | None = None
) -> list[str]:
    """Rescans asked for longer ago than ``older_than`` and not done: their message was lost. One a
    worker claimed less than ``lease`` ago (the task time limit) is running, not lost."""
    at = now or utcnow()
    cutoff = at - older_than
    query = select(Scan.id).where(Scan.rescan_requested_at.is_not(None), Scan.rescan_requested_at < cutoff)
    if lease is not None:
        query = query.where(or_(Scan.rescan_started_at.is_(None), Scan.rescan_started_at < at - lease))
    return list(session.scalars(query))


def claim_rescan(session: Session, scan_id: str, lease: timedelta, now: datetime | None = None) -> bool:
    """Take the requested rescan of ``scan_id`` for this worker: True for exactly one of several
    workers that got its message (a re-send, a sweep), until it ends or ``lease`` passes (a worker
    killed mid-rescan). A conditional UPDATE: race-safe on PostgreSQL and SQLite."""
    at = now or utcnow()
    stmt = (
        update(Scan)
        .where(
            Scan.id == scan_id,
            Scan.status == "done",
            Scan.rescan_requested_at.is_not(None),
            or_(Scan.rescan_started_at.is_(None), Scan.rescan_started_at < at - lease),
        )
        .values(rescan_started_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def release_rescan(session: Session, scan_id: str) -> None:
    """A rescan that stopped on an error gives its claim back (its retry, or the sweeper, takes it again)."""
    session.execute(
        update(Scan)
        .where(Scan.id == scan_id)
        .values(rescan_started_at=None)
        .execution_options(synchronize_session=False)
    )


def touch_rescan(session: Session, scan_id: str) -> None:
    session.execute(update(Scan).where(Scan.id == scan_id).values(rescan_requested_at=utcnow()))
