"""Admins only: subject access (find, export, erase by keyed hash), retention, aggregated statistics.

Subject values travel in POST bodies only (never in a URL, where access logs would keep them), and
the audit log names a subject by its keyed hash.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from piiscan.api.deps import AdminDep, ServicesDep
from piiscan.privacy.keys import EvidenceKeys
from piiscan.store import retention, review, stats, subjects
from piiscan.store.models import utcnow
from piiscan.workers import jobs

router = APIRouter(prefix="/v1/admin", tags=["privacy"])


class SubjectIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"kind": "email", "value": "clara@example.com"}]}
    )

    kind: subjects.SubjectKind
    value: str = Field(min_length=1, max_length=320)

    def subject(self) -> subjects.Subject:
        return subjects.Subject(self.kind, self.value)


@router.post("/subjects/search", summary="Every upload whose scan found this e-mail, phone, name or number (audited)")
def subject_search(body: SubjectIn, actor: AdminDep, services: ServicesDep) -> Response:
    keys = EvidenceKeys.from_settings(services.settings)
    subject = body.subject()
    with services.db.session() as session:
        uploads = subjects.find(session, keys, subject, actor.tenants)
        review.audit(
            session, actor.name, actor.role, "subject_search", "subject", subject.audit_key(keys),
            kind=subject.kind, uploads=len(uploads),
        )  # fmt: skip
    document = {"kind": "piiscan.subject-access/1", "subject_kind": subject.kind, "uploads": uploads}
    return Response(
        json.dumps(document, indent=2, sort_keys=True),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="subject-access.json"', "Cache-Control": "no-store"},
    )


@router.post("/subjects/erase", summary="Erase the stored evidence of this e-mail, phone, name or number (audited)")
def subject_erase(body: SubjectIn, actor: AdminDep, services: ServicesDep) -> dict[str, Any]:
    keys = EvidenceKeys.from_settings(services.settings)
    subject = body.subject()
    with services.db.session() as session:
        counts = subjects.erase(session, keys, subject, actor.tenants)
        review.audit(
            session, actor.name, actor.role, "subject_erase", "subject", subject.audit_key(keys),
            kind=subject.kind, **counts,
        )  # fmt: skip
    services.db.reclaim(subjects.ERASED_TABLES)  # the erased rows' old versions too
    return {"erased": counts}


@router.get("/retention", summary="Dry run: how many records of each kind the retention purge would remove now")
def retention_plan(actor: AdminDep, services: ServicesDep) -> dict[str, Any]:
    periods = services.settings.retention.model_dump()
    return {"dry_run": True, "periods_days": periods, "would_purge": jobs.purge(services, dry_run=True)}


@router.post("/retention/run", summary="Run the retention purge now (beat runs it every hour; audited)")
def retention_run(actor: AdminDep, services: ServicesDep) -> dict[str, Any]:
    counts = jobs.purge(services)
    with services.db.session() as session:
        review.audit(session, actor.name, actor.role, "retention_purge", "retention", "-", **counts)
    return {"dry_run": False, "purged": counts, "kinds": list(retention.KINDS)}


@router.get("/stats", summary="Counts by day, tenant and verdict / entity type; small cells suppressed")
def statistics(
    actor: AdminDep, services: ServicesDep, days: Annotated[int, Query(ge=1, le=3660)] = 30
) -> dict[str, Any]:
    now: datetime = utcnow()
    with services.db.session() as session:
        return stats.statistics(session, actor.tenants, stats.since_days(now, days), services.settings.stats_min_count)
