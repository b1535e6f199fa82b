"""Request and response bodies (they make the published OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, IPvAnyAddress, StringConstraints

from piiscan.rules.context import DEFAULT_VISIBILITY, Visibility

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]


class UploaderIn(BaseModel):
    """Who uploaded the object: matched against findings to tell their own data from others'.
    Used for the scan only and erased when it ends."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=255, description="The uploader's user id on the platform")
    name: str | None = Field(None, max_length=255)
    emails: list[Short] = Field(default_factory=list, max_length=20)
    phones: list[Short] = Field(default_factory=list, max_length=20)
    ip: IPvAnyAddress | None = Field(
        None, description="The uploader's address; kept only for a disclosure package (erased if the scan is clean)"
    )
    user_agent: str | None = Field(None, max_length=512, description="Kept for the same purpose as `ip`")


class ScanRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "bucket": "uploads",
                    "key": "u/42/passport.png",
                    "version_id": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY",
                    "uploader": {"id": "42", "name": "Clara Jensen", "emails": ["clara@example.com"]},
                    "visibility": "private",
                    "tenant": "acme",
                    "callback_url": "https://platform.example.com/hooks/piiscan",
                }
            ]
        },
    )

    bucket: str = Field(min_length=1, max_length=255)
    key: str = Field(min_length=1, max_length=1024)
    version_id: str | None = Field(None, max_length=255, description="The object version (versioned buckets)")
    etag: str | None = Field(None, max_length=255, description="The ETag announced for the upload (else)")
    uploader: UploaderIn = Field(default_factory=UploaderIn)
    visibility: Visibility | None = Field(
        None, description=f"Default: the object's x-amz-meta-piiscan-visibility, else {DEFAULT_VISIBILITY}"
    )
    tenant: str | None = Field(None, max_length=200, description="Must be the token's tenant when given")
    callback_url: AnyHttpUrl | None = Field(None, description="Receives the signed verdict (X-Piiscan-Signature)")
    stop_at_first_critical: bool | None = Field(
        None,
        description="End the scan at the first page that makes the verdict critical (the report then covers "
        "the pages read and says so in `warnings`). Default: the service's PIISCAN_STOP_AT_FIRST_CRITICAL",
    )


class ScanAccepted(BaseModel):
    scan_id: str
    status: str
    duplicate: bool = Field(description="True when this object version already had a scan")
    bucket: str
    key: str
    status_url: str


class EventsAccepted(BaseModel):
    scans: list[ScanAccepted]
    ignored: int = Field(description="Records that are not ObjectCreated events")


class ObjectOut(BaseModel):
    bucket: str
    key: str
    version_id: str | None
    etag: str | None


class FailureOut(BaseModel):
    code: str | None
    reason: str | None


class DeliveryOut(BaseModel):
    id: str
    event: str
    url: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    delivered_at: str | None


class ScanOut(BaseModel):
    scan_id: str
    tenant: str
    status: str = Field(description="queued | running | done | failed")
    object: ObjectOut
    visibility: str | None
    uploader_id: str | None
    attempts: int
    verdict: str | None
    severity: str | None
    rule_pack_version: str | None
    sha256: str | None
    failure: FailureOut | None
    reused_from: str | None = Field(description="The scan of the same bytes whose result was reused")
    rescans: int = Field(0, description="Priority rescans made since (an abuse report asks for one)")
    report: dict[str, Any] | None = Field(description="The masked report (the CLI's JSON contract)")
    created_at: str | None
    finished_at: str | None
    webhook_deliveries: list[DeliveryOut] = Field(default_factory=list)


class ErrorOut(BaseModel):
    code: str
    detail: str
