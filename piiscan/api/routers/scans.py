"""A scan's status and its masked report, for the tenant that asked for it."""

from __future__ import annotations

from fastapi import APIRouter

from piiscan.api.deps import ServicesDep, TenantDep
from piiscan.api.errors import ApiError, error_responses
from piiscan.api.schemas import ScanOut
from piiscan.store import repo
from piiscan.store.views import scan_document

router = APIRouter(prefix="/v1/scans", tags=["scans"], responses=error_responses(401, 404))


@router.get(
    "/{scan_id}",
    name="get_scan",
    response_model=ScanOut,
    summary="A scan's status and masked report",
)
def get_scan(scan_id: str, tenant: TenantDep, services: ServicesDep) -> ScanOut:
    """``queued`` → ``running`` → ``done`` (with the verdict and the masked report) or ``failed`` (with its reason)."""
    with services.db.session() as session:
        scan = repo.get_scan(session, scan_id)
        if scan is None or scan.tenant != tenant:
            raise ApiError(404, "scan_not_found", f"No scan {scan_id} for tenant {tenant!r}")
        return ScanOut.model_validate(scan_document(scan, deliveries=True))
