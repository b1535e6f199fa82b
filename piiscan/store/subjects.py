"""Subject access: every upload whose scan found a person's e-mail, phone, name or document number.

The store holds no raw values, so a request is answered by keyed hash: the value is normalised
and hashed under every configured key (:meth:`EvidenceKeys.candidates`), and the findings holding
one of those hashes are the person's. An admin sees the uploads of their tenants only. Erasure
deletes those finding rows and their masked entries in the stored report. Both are audited with
the value's keyed hash as the target, never the value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from piiscan.privacy.keys import Category, EvidenceKeys
from piiscan.store import review
from piiscan.store.models import FindingRow, Scan, Upload

SubjectKind = Literal["email", "phone", "name", "document"]
_CATEGORY: dict[str, Category] = {"email": "email", "phone": "phone", "name": "name", "document": "number"}


@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    value: str

    def audit_key(self, keys: EvidenceKeys) -> str:
        """What the audit log names the subject by: its keyed hash under the current key."""
        found = keys.hash(_CATEGORY[self.kind], self.value)
        return found[1] if found else "-"


def _matching(session: Session, keys: EvidenceKeys, subject: Subject, tenants: list[str]) -> list[FindingRow]:
    pairs = keys.candidates(_CATEGORY[subject.kind], subject.value)
    if not pairs:
        return []
    query = (
        select(FindingRow)
        .join(Scan, Scan.id == FindingRow.scan_id)
        .where(or_(*(and_(FindingRow.key_id == kid, FindingRow.value_hash == digest) for kid, digest in pairs)))
        .order_by(Scan.created_at, FindingRow.id)
    )
    if review.ALL_TENANTS not in tenants:
        query = query.where(Scan.tenant.in_(tenants))
    return list(session.scalars(query))


def _iso(value: datetime | None) -> str | None:
    value = review.aware(value)
    return value.isoformat() if value is not None else None


def find(session: Session, keys: EvidenceKeys, subject: Subject, tenants: list[str]) -> list[dict[str, Any]]:
    """The uploads whose scans found the subject (masked evidence only), oldest first."""
    by_scan: dict[str, list[FindingRow]] = defaultdict(list)
    for row in _matching(session, keys, subject, tenants):
        by_scan[row.scan_id].append(row)
    out: list[dict[str, Any]] = []
    for scan_id, rows in by_scan.items():
        scan = session.get(Scan, scan_id)
        if scan is None:
            continue
        upload: Upload = scan.upload
        out.append(
            {
                "upload_id": upload.id,
                "scan_id": scan.id,
                "tenant": scan.tenant,
                "bucket": upload.bucket,
                "key": upload.object_key,
                "version_id": upload.version_id,
                "uploaded_at": _iso(upload.created_at),
                "verdict": scan.verdict,
                "severity": scan.severity,
                "findings": [
                    {"entity_type": r.entity_type, "masked": r.masked, "page": r.page, "source": r.source} for r in rows
                ],
            }
        )
    return out


ERASED_TABLES = ("findings", "scans")
"""What :func:`erase` rewrites: reclaim them once it committed (:meth:`piiscan.store.db.Database.reclaim`)."""


def erase(session: Session, keys: EvidenceKeys, subject: Subject, tenants: list[str]) -> dict[str, int]:
    """Delete the subject's finding rows (masked form and hash) and their entries in stored reports."""
    rows = _matching(session, keys, subject, tenants)
    scans: dict[str, list[FindingRow]] = defaultdict(list)
    for row in rows:
        scans[row.scan_id].append(row)
    for scan_id, erased in scans.items():
        scan = session.get(Scan, scan_id)
        if scan is None:
            continue
        if scan.report:
            report = dict(scan.report)
            report["findings"] = _without(report.get("findings", []), erased)
            scan.report = report
        for row in erased:
            session.delete(row)
    session.flush()
    return {"uploads": len(scans), "findings": len(rows)}


def _without(findings: list[dict[str, Any]], erased: list[FindingRow]) -> list[dict[str, Any]]:
    """The report's findings minus one entry per erased row (matched by type, place and masked form)."""
    wanted = [(r.entity_type, r.page, r.masked, r.bbox, r.start, r.end) for r in erased]
    kept = []
    for finding in findings:
        sig = (
            finding.get("entity_type"),
            finding.get("page"),
            finding.get("masked"),
            finding.get("bbox"),
            finding.get("start"),
            finding.get("end"),
        )
        if sig in wanted:
            wanted.remove(sig)
            continue
        kept.append(finding)
    return kept
