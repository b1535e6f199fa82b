"""Repository functions: every read and write the API and the workers make.

Idempotency lives here: an upload is unique per (tenant, bucket, key, version) and has one
scan, created in the same transaction, so however many hooks race for the same object
version, one scan exists and every caller gets its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from piiscan.store.db import Database
from piiscan.store.models import FindingRow, Scan, Upload, VerdictRow, WebhookDelivery, utcnow

FINISHED = ("done", "failed")


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


def start_attempt(session: Session, scan_id: str, retrying: bool = False) -> Scan | None:
    """Mark the scan running and count the attempt; None when it is unknown or already finished.

    A scan found ``running`` was being scanned by a worker that died (or hit the hard time
    limit) without finishing it: that is counted in ``worker_losses``. Not so when this is the
    task's own retry (``retrying``): the previous attempt ended in a transient error while the
    database was away, so it could not put the scan back in ``queued``."""
    scan = session.get(Scan, scan_id, with_for_update={"of": Scan}, options=[joinedload(Scan.upload, innerjoin=True)])
    if scan is None or scan.status in FINISHED:
        return None
    if scan.status == "running" and not retrying:
        scan.worker_losses += 1
    scan.status = "running"
    scan.attempts += 1
    scan.started_at = utcnow()
    return scan


def back_to_queue(session: Session, scan_id: str) -> None:
    session.execute(update(Scan).where(Scan.id == scan_id, Scan.status == "running").values(status="queued"))


def find_reusable(session: Session, sha256: str, rule_pack_version: str, context_key: str, exclude: str) -> Scan | None:
    """A finished scan of the same bytes, rules and context whose result can be reused."""
    return session.scalars(
        select(Scan)
        .where(
            Scan.sha256 == sha256,
            Scan.rule_pack_version == rule_pack_version,
            Scan.context_key == context_key,
            Scan.status == "done",
            Scan.verdict != "error",
            Scan.evidence_purged_at.is_(None),
            Scan.id != exclude,
        )
        .order_by(Scan.finished_at)
        .limit(1)
        # what reuse_scan copies, loaded up front: no lazy load (and autoflush) per attribute
        .options(joinedload(Scan.upload, innerjoin=True), selectinload(Scan.findings))
    ).first()


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
    _apply_report(scan, report, hashes, "rescan")


def reuse_scan(session: Session, scan: Scan, earlier: Scan, source: str, context_key: str) -> None:
    """Give ``scan`` the result of ``earlier`` (same bytes, rules and context), pointing at its own object.

    The transaction commits without waiting for its WAL flush (PostgreSQL's ``synchronous_commit``
    off, for this transaction only): a reuse lost to a database crash in the next few hundred
    milliseconds leaves the scan queued or running, and the sweeper runs it again, reusing again.
    The flush wait (about 4 ms on a laptop disk) would be most of a reuse's cost."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    report = dict(earlier.report or {})
    report["source"] = source
    report["reused_from"] = earlier.id
    scan.status = "done"
    scan.failure_code = scan.failure_reason = None
    for name in ("sha256", "media_type", "size", "pages", "verdict", "severity", "rule_pack_version", "elapsed_ms"):
        setattr(scan, name, getattr(earlier, name))
    scan.context_key = context_key
    scan.report = report
    scan.reused_from = earlier.id
    if earlier.upload.uploader_keys:
        scan.upload.uploader_keys = earlier.upload.uploader_keys  # the same identity (same context key)
    # rows added by their key, not appended to the collections: appending would load them first
    # (two SELECTs for collections a scan finishing now cannot have yet)
    rows = [
        FindingRow(
            scan_id=scan.id,
            entity_type=row.entity_type,
            score=row.score,
            page=row.page,
            source=row.source,
            masked=row.masked,
            value_hash=row.value_hash,
            key_id=row.key_id,
            bbox=row.bbox,
            start=row.start,
            end=row.end,
            origin=row.origin,
        )
        for row in earlier.findings
    ]
    session.add_all(rows)
    set_committed_value(scan, "findings", rows)
    session.add(
        VerdictRow(
            scan_id=scan.id,
            verdict=earlier.verdict or "error",
            severity=earlier.severity or "none",
            rule_pack_version=earlier.rule_pack_version,
            rules=report.get("rules", []),
            decided_by="scanner",
        )
    )
    _finish(scan)


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


def stale_rescans(session: Session, older_than: timedelta, now: datetime | None = None) -> list[str]:
    """Rescans asked for longer ago than ``older_than`` and not done: their message was lost."""
    cutoff = (now or utcnow()) - older_than
    return list(
        session.scalars(select(Scan.id).where(Scan.rescan_requested_at.is_not(None), Scan.rescan_requested_at < cutoff))
    )


def touch_rescan(session: Session, scan_id: str) -> None:
    session.execute(update(Scan).where(Scan.id == scan_id).values(rescan_requested_at=utcnow()))
