"""Retention: what piiscan keeps, and for how long (``PIISCAN_RETENTION``).

Each kind of record has a period; past it, the record is deleted or de-identified:

=====================  ==============================================  ==========================================
kind                   what is past its period                         what happens
=====================  ==============================================  ==========================================
``clean_evidence``     finished scans without a review item            findings deleted, report evidence emptied,
                                                                       account id and address erased
``decided_evidence``   scans whose item was last decided that long ago  the same (the package keeps its own copy)
``audit``              audit entries                                   deleted
``packages``           disclosure packages                             deleted
``webhooks``           delivered or failed webhook deliveries          deleted (their bodies hold the report)
``report_contacts``    abuse reports' reporter contacts                contact erased (the report stays)
``sessions``           reviewer-page sessions expired or revoked       deleted (no period: at once)
=====================  ==============================================  ==========================================

:func:`plan` counts what :func:`apply` would change, with the same queries; both take ``now`` so
tests run on a fixed clock. Verdicts, severities and counts stay: statistics need nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.orm import Session

from piiscan.settings import Retention
from piiscan.store import sessions
from piiscan.store.models import (
    AbuseReport,
    AuditEntry,
    Decision,
    DisclosurePackage,
    FindingRow,
    ReviewItem,
    ReviewSession,
    Scan,
    Upload,
    WebhookDelivery,
)

KINDS = ("clean_evidence", "decided_evidence", "audit", "packages", "webhooks", "report_contacts", "sessions")


@dataclass(frozen=True, slots=True)
class Cutoffs:
    clean_evidence: datetime
    decided_evidence: datetime
    audit: datetime
    packages: datetime
    webhooks: datetime
    report_contacts: datetime

    @classmethod
    def of(cls, retention: Retention, now: datetime) -> Cutoffs:
        return cls(
            clean_evidence=now - timedelta(days=retention.clean_evidence_days),
            decided_evidence=now - timedelta(days=retention.decided_evidence_days),
            audit=now - timedelta(days=retention.audit_days),
            packages=now - timedelta(days=retention.packages_days),
            webhooks=now - timedelta(days=retention.webhook_days),
            report_contacts=now - timedelta(days=retention.report_contact_days),
        )


def _clean_scans(cut: Cutoffs) -> Select[Any]:
    has_item = exists().where(ReviewItem.scan_id == Scan.id)
    return select(Scan.id).where(
        Scan.status.in_(("done", "failed")),
        Scan.finished_at < cut.clean_evidence,
        Scan.evidence_purged_at.is_(None),
        Scan.rescan_requested_at.is_(None),
        ~has_item,
    )


def _decided_scans(cut: Cutoffs) -> Select[Any]:
    last_decision = select(func.max(Decision.created_at)).where(Decision.item_id == ReviewItem.id).scalar_subquery()
    return (
        select(Scan.id)
        .join(ReviewItem, ReviewItem.scan_id == Scan.id)
        .where(
            ReviewItem.status.in_(("approved", "rejected", "reported")),
            Scan.evidence_purged_at.is_(None),
            Scan.rescan_requested_at.is_(None),
            last_decision < cut.decided_evidence,
        )
    )


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def plan(session: Session, retention: Retention, now: datetime) -> dict[str, int]:
    """How many records of each kind are past their period now (a dry run: nothing changes)."""
    cut = Cutoffs.of(retention, now)
    return {
        "clean_evidence": _count(session, _clean_scans(cut)),
        "decided_evidence": _count(session, _decided_scans(cut)),
        "audit": _count(session, select(AuditEntry.id).where(AuditEntry.at < cut.audit)),
        "packages": _count(session, select(DisclosurePackage.id).where(DisclosurePackage.created_at < cut.packages)),
        "webhooks": _count(session, _old_deliveries(cut)),
        "report_contacts": _count(session, _old_contacts(cut)),
        "sessions": _count(session, select(ReviewSession.id).where(sessions.ended(now))),
    }


def _old_deliveries(cut: Cutoffs) -> Select[Any]:
    return select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_(("delivered", "failed")), WebhookDelivery.updated_at < cut.webhooks
    )


def _old_contacts(cut: Cutoffs) -> Select[Any]:
    return select(AbuseReport.id).where(AbuseReport.contact.is_not(None), AbuseReport.created_at < cut.report_contacts)


def purge_evidence(session: Session, scan: Scan, now: datetime, *, keep_disclosure: bool) -> None:
    """De-identify one scan: findings deleted, the report keeps its verdict and rules but no findings,
    the account id goes (and the address, unless a disclosure package may still need it: it has its copy)."""
    session.execute(delete(FindingRow).where(FindingRow.scan_id == scan.id))
    if scan.report:
        report = dict(scan.report)
        report["findings"] = []
        report["evidence_purged"] = True
        scan.report = report
    scan.evidence_purged_at = now
    upload: Upload = scan.upload
    upload.uploader_id = None
    upload.uploader_keys = None
    upload.uploader_name = upload.uploader_emails = upload.uploader_phones = None
    if not keep_disclosure:
        upload.uploader_ip = upload.uploader_user_agent = None


PURGED_TABLES = (
    "uploads",  # the uploader identities erased when each scan ended, too
    "scans",
    "findings",
    "verdicts",
    "audit_log",
    "disclosure_packages",
    "webhook_deliveries",
    "abuse_reports",
    "review_sessions",
)
"""What :func:`apply` rewrites: reclaim them once it committed (:meth:`piiscan.store.db.Database.reclaim`)."""


def apply(session: Session, retention: Retention, now: datetime) -> dict[str, int]:
    """Purge or de-identify everything past its period; returns the counts (as :func:`plan` gave)."""
    cut = Cutoffs.of(retention, now)
    done: dict[str, int] = {}
    for kind, query in (("clean_evidence", _clean_scans(cut)), ("decided_evidence", _decided_scans(cut))):
        ids = list(session.scalars(query))
        for scan_id in ids:
            scan = session.get(Scan, scan_id)
            if scan is not None:
                purge_evidence(session, scan, now, keep_disclosure=False)
        done[kind] = len(ids)
    session.flush()
    done["audit"] = _deleted(session, delete(AuditEntry).where(AuditEntry.at < cut.audit))
    done["packages"] = _deleted(session, delete(DisclosurePackage).where(DisclosurePackage.created_at < cut.packages))
    done["webhooks"] = _deleted(session, delete(WebhookDelivery).where(WebhookDelivery.id.in_(_old_deliveries(cut))))
    done["report_contacts"] = _deleted(
        session, update(AbuseReport).where(AbuseReport.id.in_(_old_contacts(cut))).values(contact=None)
    )
    done["sessions"] = _deleted(session, delete(ReviewSession).where(sessions.ended(now)))
    return done


def _deleted(session: Session, statement: Any) -> int:
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
