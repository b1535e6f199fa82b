"""S3 bucket notifications in the AWS / MinIO event format, parsed strictly with clear errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus


class MalformedEventError(ValueError):
    """The body is not an S3 event; the message says which field is wrong."""


@dataclass(frozen=True, slots=True)
class ObjectCreated:
    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    size: int | None


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    created: list[ObjectCreated]
    ignored: int


def _str(value: Any, where: str, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise MalformedEventError(f"{where} is missing")
        return None
    if not isinstance(value, str):
        raise MalformedEventError(f"{where} must be a string")
    return value


def parse_event(payload: Any) -> ParsedEvent:
    """``ObjectCreated`` records of an event; other event kinds (removals, AWS's test event) are counted as ignored."""
    if not isinstance(payload, dict):
        raise MalformedEventError("the body must be a JSON object with a Records list (AWS / MinIO S3 event format)")
    if payload.get("Event") == "s3:TestEvent":
        return ParsedEvent([], 1)
    records = payload.get("Records")
    if not isinstance(records, list) or not records:
        raise MalformedEventError("Records is missing or empty: expected the AWS / MinIO S3 event format")
    created: list[ObjectCreated] = []
    ignored = 0
    for i, record in enumerate(records):
        where = f"Records[{i}]"
        if not isinstance(record, dict):
            raise MalformedEventError(f"{where} must be an object")
        name = _str(record.get("eventName"), f"{where}.eventName")
        if "ObjectCreated" not in (name or ""):
            ignored += 1
            continue
        s3 = record.get("s3")
        if not isinstance(s3, dict):
            raise MalformedEventError(f"{where}.s3 is missing")
        bucket = s3.get("bucket")
        obj = s3.get("object")
        if not isinstance(bucket, dict) or not isinstance(obj, dict):
            raise MalformedEventError(f"{where}.s3.bucket and {where}.s3.object must be objects")
        bucket_name = _str(bucket.get("name"), f"{where}.s3.bucket.name")
        raw_key = _str(obj.get("key"), f"{where}.s3.object.key")
        size = obj.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise MalformedEventError(f"{where}.s3.object.size must be a non-negative integer")
        etag = _str(obj.get("eTag") or obj.get("etag"), f"{where}.s3.object.eTag", required=False)
        version_id = _str(obj.get("versionId"), f"{where}.s3.object.versionId", required=False)
        assert bucket_name is not None and raw_key is not None
        created.append(
            ObjectCreated(
                bucket=bucket_name,
                key=unquote_plus(raw_key),
                version_id=None if version_id == "null" else version_id,
                etag=etag.strip('"') if etag else None,
                size=size,
            )
        )
    return ParsedEvent(created, ignored)
