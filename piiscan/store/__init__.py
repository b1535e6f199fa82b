"""The service's database: SQLAlchemy 2 models, repository functions and Alembic migrations.

Nothing here holds a raw finding value or extracted text: findings are stored masked, the
report is the masked contract of :meth:`piiscan.scanner.model.ScanResult.to_dict`, and the
uploader identity a scan needs is erased once the scan has finished. Tokens, report secrets and
reporters' addresses are kept as keyed hashes (:mod:`piiscan.store.review`).
"""

from __future__ import annotations

from piiscan.store.db import Database, upgrade
from piiscan.store.models import (
    AbuseReport,
    AuditEntry,
    Base,
    Decision,
    DisclosurePackage,
    FindingRow,
    Principal,
    ReviewItem,
    Scan,
    Upload,
    VerdictRow,
    WebhookDelivery,
)

__all__ = [
    "AbuseReport",
    "AuditEntry",
    "Base",
    "Database",
    "Decision",
    "DisclosurePackage",
    "FindingRow",
    "Principal",
    "ReviewItem",
    "Scan",
    "Upload",
    "VerdictRow",
    "WebhookDelivery",
    "upgrade",
]
