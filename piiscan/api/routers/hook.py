"""The upload hook: a scan request from the platform, or an S3 bucket notification.

Both answer at once with a scan id: the object is checked with a HEAD (allow-listed bucket,
existing version, size under the cap) and the scan is queued; the same object version gets
the same scan however often it is announced. A key outside the tenant's scopes
(``PIISCAN_TENANT_SCOPES``, :mod:`piiscan.tenancy`) is answered as a missing object, before any HEAD.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from piiscan.api.deps import ServicesDep, TenantDep
from piiscan.api.errors import ApiError
from piiscan.api.s3events import MalformedEventError, parse_event
from piiscan.api.schemas import ErrorOut, EventsAccepted, ScanAccepted, ScanRequest, UploaderIn
from piiscan.rules.context import VISIBILITIES
from piiscan.storage import ObjectInfo, check_name, store_key
from piiscan.store import repo
from piiscan.tenancy import Tenancy
from piiscan.workers import webhooks
from piiscan.workers.services import Services

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/hook", tags=["hook"])

ERRORS: dict[int | str, dict[str, object]] = {
    400: {
        "model": ErrorOut,
        "description": "Malformed event, a control character in a name, or a callback URL on a disallowed network",
    },
    401: {"model": ErrorOut, "description": "Missing or unknown hook token"},
    403: {"model": ErrorOut, "description": "The tenant in the body is not the token's"},
    404: {
        "model": ErrorOut,
        "description": "Unknown bucket (not allow-listed), or a missing object or one outside "
        "the tenant's scopes (the same answer)",
    },
    409: {"model": ErrorOut, "description": "The object changed since it was announced"},
    413: {"model": ErrorOut, "description": "The object (or the request body) is too large"},
    503: {"model": ErrorOut, "description": "The object store or the database is unreachable (Retry-After)"},
}


@dataclass(frozen=True, slots=True)
class _Prepared:
    info: ObjectInfo
    new: repo.NewUpload


def locate(services: Services, bucket: str, key: str) -> tuple[str, str]:
    """The bucket and the canonical key of an announced object (:func:`piiscan.storage.canonical_key`):
    every spelling of one object is one upload, one scan. Control characters are a typed 400."""
    return check_name(bucket, "bucket name"), store_key(services.store, key)


def _check(
    services: Services, tenant: str, bucket: str, key: str, version_id: str | None, etag: str | None
) -> ObjectInfo:
    check_name(version_id or "", "version id")
    check_name(etag or "", "ETag")
    services.store.check_bucket(bucket)
    Tenancy.of(services.settings).require(tenant, bucket, key)  # before the HEAD: out of scope is "missing"
    info = services.store.stat(bucket, key, version_id)
    if etag and not version_id and info.etag and etag.strip('"') != info.etag:
        raise ApiError(
            409,
            "version_mismatch",
            f"s3://{bucket}/{key} has ETag {info.etag} now, not the announced {etag.strip(chr(34))}: it was "
            "overwritten, and the newer upload is announced on its own",
        )
    limit = services.settings.max_file_bytes
    if info.size > limit:
        raise ApiError(413, "file_too_large", f"s3://{bucket}/{key} is {info.size} bytes, the limit is {limit} bytes")
    return info


def _visibility(value: str | None) -> str | None:
    """A visibility from object metadata; anything unknown counts as unset (then public, the safe side)."""
    return value if value in VISIBILITIES else None


def _metadata_list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _new_upload(
    tenant: str,
    bucket: str,
    key: str,
    info: ObjectInfo,
    origin: str,
    callback_url: str | None,
    uploader: UploaderIn | None = None,
    visibility: str | None = None,
    stop_at_first_critical: bool | None = None,
) -> repo.NewUpload:
    """The upload row for one object: what the request says, else the object's piiscan-* metadata."""
    meta = info.metadata
    given = uploader or UploaderIn()
    return repo.NewUpload(
        tenant=tenant,
        bucket=bucket,
        key=key,
        version=info.version,
        version_id=info.version_id,
        etag=info.etag,
        size=info.size,
        origin=origin,
        visibility=visibility or _visibility(meta.get("piiscan-visibility")),
        uploader_id=given.id or meta.get("piiscan-uploader-id"),
        uploader_name=given.name or meta.get("piiscan-uploader-name"),
        uploader_emails=tuple(given.emails) or _metadata_list(meta.get("piiscan-uploader-email")),
        uploader_phones=tuple(given.phones) or _metadata_list(meta.get("piiscan-uploader-phone")),
        callback_url=callback_url or None,
        uploader_ip=str(given.ip) if given.ip else None,
        uploader_user_agent=given.user_agent,
        stop_at_first_critical=stop_at_first_critical,
        sha256=info.sha256,  # the store's, from the same HEAD as the version: lets a rescan skip its own HEAD
    )


def _queue(services: Services, prepared: _Prepared, request: Request) -> ScanAccepted:
    scan, created = repo.request_scan(services.db, prepared.new)
    if created:
        try:
            services.dispatcher.scan(scan.id)
        except Exception as exc:  # the scan stays queued; the sweeper sends it again
            log.error("could not queue scan %s (%s); the sweeper will", scan.id, type(exc).__name__)
    return ScanAccepted(
        scan_id=scan.id,
        status=scan.status,
        duplicate=not created,
        bucket=prepared.new.bucket,
        key=prepared.new.key,
        status_url=str(request.url_for("get_scan", scan_id=scan.id)),
    )


@router.post(
    "/scans",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ScanAccepted,
    responses=ERRORS,
    summary="Scan an uploaded object",
)
def request_scan(body: ScanRequest, tenant: TenantDep, services: ServicesDep, request: Request) -> ScanAccepted:
    """Queue the scan of one object version; answers at once with the scan id to poll or await the webhook for."""
    if body.tenant is not None and body.tenant != tenant:
        raise ApiError(403, "tenant_mismatch", f"The token belongs to tenant {tenant!r}, not {body.tenant!r}")
    callback_url = str(body.callback_url) if body.callback_url else None
    if callback_url:
        settings = services.settings
        try:
            webhooks.check_destination(callback_url, settings.callback_networks(), settings.callback_allowed_hosts)
        except webhooks.DestinationNotAllowedError as exc:
            raise ApiError(400, "callback_not_allowed", f"The callback URL is refused: {exc}") from None
    bucket, key = locate(services, body.bucket, body.key)
    info = _check(services, tenant, bucket, key, body.version_id, body.etag)
    new = _new_upload(
        tenant,
        bucket,
        key,
        info,
        origin="api",
        callback_url=callback_url or services.settings.callback_urls.get(tenant),
        uploader=body.uploader,
        visibility=body.visibility,
        stop_at_first_critical=body.stop_at_first_critical,
    )
    return _queue(services, _Prepared(info, new), request)


@router.post(
    "/s3-events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventsAccepted,
    responses=ERRORS,
    summary="Receive S3 bucket notifications (AWS / MinIO event format)",
)
async def s3_events(request: Request, tenant: TenantDep, services: ServicesDep) -> EventsAccepted:
    """Point the bucket's webhook notification here (MinIO: ``notify_webhook`` with ``auth_token``).

    The uploader and the visibility come from the object's user metadata, when the platform sets
    it: ``x-amz-meta-piiscan-visibility``, ``-uploader-id``, ``-uploader-name``, ``-uploader-email``,
    ``-uploader-phone`` (comma-separated). The webhook goes to the tenant's ``PIISCAN_CALLBACK_URLS``.
    Every record is checked before any is queued: one bad record refuses the whole event. A record
    whose object was overwritten since (its ETag differs, unversioned bucket) is counted as ignored,
    not refused: the newer content has its own notification. A record resolves to the tenant whose
    ``PIISCAN_TENANT_SCOPES`` own its key; one that no tenant owns, or another tenant than the
    token's, is counted as ignored without a HEAD (so the answer tells nothing of that object).
    """
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_event", "The body is not JSON: expected an S3 event notification") from None
    try:
        event = parse_event(payload)
    except MalformedEventError as exc:
        raise ApiError(400, "malformed_event", f"Malformed S3 event: {exc}") from None

    def accept() -> EventsAccepted:
        prepared: list[_Prepared] = []
        ignored = event.ignored
        tenancy = Tenancy.of(services.settings)
        for record in event.created:
            bucket, key = locate(services, record.bucket, record.key)
            services.store.check_bucket(bucket)
            if tenancy.owner(bucket, key) != tenant:
                ignored += 1
                continue
            try:
                info = _check(services, tenant, bucket, key, record.version_id, record.etag)
            except ApiError as exc:
                if exc.code != "version_mismatch":
                    raise
                ignored += 1
                continue
            callback = services.settings.callback_urls.get(tenant)
            new = _new_upload(tenant, bucket, key, info, origin="s3_event", callback_url=callback)
            prepared.append(_Prepared(info, new))
        return EventsAccepted(scans=[_queue(services, p, request) for p in prepared], ignored=ignored)

    return await run_in_threadpool(accept)
