"""Aggregated statistics: counts only, with small cells suppressed; no ids, no values, no hashes.

A cell (day, tenant and verdict, or day, tenant and entity type) counting fewer than
``PIISCAN_STATS_MIN_COUNT`` records is reported with ``count: null, suppressed: true``, so a rare
combination cannot single out one upload. No totals are given across suppressed cells.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from piiscan.store import review
from piiscan.store.models import AbuseReport, FindingRow, ReviewItem, Scan, WebhookDelivery


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cells(rows: list[Any], field: str, min_count: int) -> list[dict[str, Any]]:
    out = []
    for day, tenant, value, count in rows:
        small = int(count) < min_count
        out.append(
            {
                "day": _day(day),
                "tenant": tenant,
                field: value,
                "count": None if small else int(count),
                "suppressed": small,
            }
        )
    return sorted(out, key=lambda c: (c["day"], c["tenant"], str(c[field])))


def statistics(session: Session, tenants: list[str], since: datetime, min_count: int) -> dict[str, Any]:
    """Finished scans by day, tenant and verdict; findings by day, tenant and entity type."""
    day = func.date(Scan.finished_at)
    scans = select(day, Scan.tenant, Scan.verdict, func.count()).where(Scan.status == "done", Scan.finished_at >= since)
    findings = (
        select(day, Scan.tenant, FindingRow.entity_type, func.count())
        .join(Scan, Scan.id == FindingRow.scan_id)
        .where(Scan.status == "done", Scan.finished_at >= since)
    )
    if review.ALL_TENANTS not in tenants:
        scans = scans.where(Scan.tenant.in_(tenants))
        findings = findings.where(Scan.tenant.in_(tenants))
    scans = scans.group_by(day, Scan.tenant, Scan.verdict)
    findings = findings.group_by(day, Scan.tenant, FindingRow.entity_type)
    return {
        "since": since.isoformat(),
        "min_count": min_count,
        "verdicts": _cells(list(session.execute(scans)), "verdict", min_count),
        "entity_types": _cells(list(session.execute(findings)), "entity_type", min_count),
    }


def since_days(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def metrics(session: Session) -> str:
    """Prometheus text exposition of service-wide counters (no tenant, no ids, no values)."""
    lines: list[str] = []

    def family(name: str, help_: str, kind: str, rows: list[Any], label: str | None) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for row in rows:
            if label is None:
                lines.append(f"{name} {int(row[0])}")
            else:
                value = str(row[0] or "none").replace("\\", "").replace('"', "")
                lines.append(f'{name}{{{label}="{value}"}} {int(row[1])}')

    family(
        "piiscan_scans",
        "Scans by status.",
        "gauge",
        list(session.execute(select(Scan.status, func.count()).group_by(Scan.status))),
        "status",
    )
    family(
        "piiscan_scan_verdicts",
        "Finished scans by verdict.",
        "gauge",
        list(session.execute(select(Scan.verdict, func.count()).where(Scan.status == "done").group_by(Scan.verdict))),
        "verdict",
    )
    family(
        "piiscan_findings",
        "Stored findings by entity type.",
        "gauge",
        list(session.execute(select(FindingRow.entity_type, func.count()).group_by(FindingRow.entity_type))),
        "entity_type",
    )
    family(
        "piiscan_review_items",
        "Review items by status.",
        "gauge",
        list(session.execute(select(ReviewItem.status, func.count()).group_by(ReviewItem.status))),
        "status",
    )
    family(
        "piiscan_webhook_deliveries",
        "Webhook deliveries by status.",
        "gauge",
        list(session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))),
        "status",
    )
    family(
        "piiscan_abuse_reports",
        "Abuse reports received.",
        "gauge",
        [(session.scalar(select(func.count()).select_from(AbuseReport)) or 0,)],
        None,
    )
    family(
        "piiscan_rescans",
        "Priority rescans completed.",
        "gauge",
        [(session.scalar(select(func.coalesce(func.sum(Scan.rescans), 0))) or 0,)],
        None,
    )
    return "\n".join(lines) + "\n"
