"""Abuse reports: anyone may report an upload, without a token.

- Rate limit: a token bucket per client address, in the API process's memory
  (``PIISCAN_REPORT_BURST`` at once, refilled at ``PIISCAN_REPORT_RATE_PER_MINUTE``); 429 beyond.
- Dedupe: one report per upload and client address (a repeat answers 200 with the first report's id).
- Effect: the upload's review item is raised (reported items come first), reopened when it had been
  approved, or created; a scan that had failed on a passing fault is queued and sent to a worker again at
  once; a finished scan is scanned again on the priority queue (ownership from the identity's keyed hashes).
  Rescans are bounded in the database: one pending or running per scan, none within
  ``PIISCAN_REPORT_RESCAN_COOLDOWN_S`` of the last, never of a poison file (one that failed on its input).
- The client address is the TCP peer, or the client a proxy in ``PIISCAN_TRUSTED_PROXIES`` names.
- Status: ``GET /v1/reports/{id}`` with the secret shown once at creation in ``X-Report-Secret``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from piiscan.api.deps import ServicesDep
from piiscan.api.errors import ApiError, error_responses
from piiscan.api.proxies import client_key
from piiscan.api.routers.hook import locate
from piiscan.store import review
from piiscan.store.models import utcnow
from piiscan.tenancy import Tenancy
from piiscan.workers.services import Services

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/reports", tags=["abuse reports"], responses=error_responses(400, 404, 429))

Category = Literal["third_party_privacy", "illegal", "abusive", "rights_violation"]


class ReportIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "s3://uploads/u/42/photo.png",
                    "category": "third_party_privacy",
                    "description": "This shows my home address and phone number.",
                }
            ]
        },
    )

    bucket: str | None = Field(None, max_length=255)
    key: str | None = Field(None, max_length=1024)
    url: str | None = Field(
        None, max_length=2048, description="s3://bucket/key, or an http(s) URL of the object (path-style: /bucket/key)"
    )
    category: Category
    description: str = Field(min_length=1, max_length=4000)
    contact: str | None = Field(None, max_length=320, description="Optional: how to reach you about this report")

    @model_validator(mode="after")
    def _located(self) -> ReportIn:
        if not self.url and not (self.bucket and self.key):
            raise ValueError("give the upload's url, or its bucket and key")
        return self

    def location(self) -> tuple[str, str]:
        if self.bucket and self.key:
            return self.bucket, self.key
        parts = urlsplit(self.url or "")
        if parts.scheme == "s3":
            return parts.netloc, unquote(parts.path.lstrip("/"))
        if parts.scheme in ("http", "https"):
            bucket, _, key = unquote(parts.path.lstrip("/")).partition("/")
            return bucket, key
        raise ApiError(400, "bad_url", "url must be s3://bucket/key or http(s)://host/bucket/key")


def _client(request: Request) -> str:
    """Who counts for the rate limit and the dedupe: the peer, or the client a trusted proxy names
    (:mod:`piiscan.api.proxies` rewrote ``request.client``); an IPv6 client counts per /64."""
    return client_key(request.client.host) if request.client else "unknown"


def _policy(request: Request, services: Services) -> review.RescanPolicy:
    settings = services.settings
    clock = getattr(request.app.state, "clock", utcnow)
    return review.RescanPolicy(clock(), settings.report_rescan_cooldown_s, settings.scan_max_attempts)


@router.post("", status_code=201, summary="Report an upload (public, rate-limited per client address)")
def create_report(body: ReportIn, request: Request, services: ServicesDep) -> JSONResponse:
    client = _client(request)
    wait_s = request.app.state.report_limiter.take(client)
    if wait_s > 0:
        return JSONResponse(
            {"code": "rate_limited", "detail": f"Too many reports from your address; try again in {wait_s:.0f} s"},
            status_code=429,
            headers={"Retry-After": str(max(1, round(wait_s)))},
        )
    bucket, key = locate(services, *body.location())
    secret = services.settings.key_for("report")
    with services.db.session() as session:
        owner = Tenancy.of(services.settings).owner(bucket, key)
        upload = review.find_upload(session, bucket, key, owner) if owner is not None else None
        if upload is None:
            raise ApiError(404, "upload_not_found", "No upload is known at that location")
        outcome = review.file_report(
            session,
            secret,
            upload,
            client,
            body.category,
            body.description,
            body.contact,
            _policy(request, services),
        )
        scan_id = upload.scan.id
        doc: dict[str, Any] = {
            "report_id": outcome.report.id,
            "duplicate": outcome.duplicate,
            "status_url": str(request.url_for("report_status", report_id=outcome.report.id)),
        }
        if outcome.secret is not None:
            doc["secret"] = outcome.secret
    if outcome.held is not None and not outcome.duplicate:
        log.info("report on scan %s raised its item; no rescan (%s)", scan_id, outcome.held)
    if outcome.rescan:
        try:
            services.dispatcher.scan(scan_id)
        except Exception as exc:  # the sweeper sends queued scans again
            log.warning("could not queue the rescan of %s (%s)", scan_id, type(exc).__name__)
    if outcome.priority_rescan:
        try:
            services.dispatcher.rescan(scan_id)
        except Exception as exc:  # the sweeper sends requested rescans again
            log.warning("could not queue the priority rescan of %s (%s)", scan_id, type(exc).__name__)
    return JSONResponse(doc, status_code=200 if outcome.duplicate else 201)


@router.get("/{report_id}", name="report_status", summary="A report's status (with its secret)")
def report_status(
    report_id: str,
    services: ServicesDep,
    x_report_secret: Annotated[str | None, Header(description="The secret given when the report was made")] = None,
) -> dict[str, Any]:
    with services.db.session() as session:
        status = review.report_status(
            session, services.settings.verify_keys("report"), report_id, x_report_secret or ""
        )
    if status is None:
        raise ApiError(404, "report_not_found", "No report with that id and secret")
    return status
