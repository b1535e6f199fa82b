"""Any S3-compatible endpoint through boto3: AWS, MinIO, moto.

HEAD first (the size cap applies before a byte is downloaded), then a GET pinned to the
announced version (``VersionId``, or ``IfMatch`` on the ETag), streamed in chunks to a temp
file that is always removed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from piiscan.storage.base import (
    CHUNK,
    BucketNotAllowedError,
    Downloaded,
    ObjectInfo,
    StorageError,
    StorageUnavailableError,
    VersionMismatchError,
    check_size,
    clean_metadata,
    normalise_etag,
    object_missing,
    spool,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_TRANSIENT_CODES = frozenset(
    {"500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "Throttling"}
)
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NoSuchVersion", "403", "AccessDenied"})
_PRECONDITION_CODES = frozenset({"412", "PreconditionFailed"})


class S3Store:
    opaque_keys = True
    """An S3 key is an opaque string: ``a//x`` and ``a/x`` are two objects, never collapsed."""

    def __init__(
        self,
        buckets: Iterable[str],
        *,
        endpoint_url: str | None = None,
        download_dir: str | None = None,
        client: S3Client | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        max_attempts: int = 4,
    ) -> None:
        self.buckets = frozenset(buckets)
        self.endpoint_url = endpoint_url or None
        self.download_dir = download_dir
        self._client = client
        self._client_pid = os.getpid() if client is not None else 0
        self._lock = threading.Lock()
        self._timeouts = (connect_timeout_s, read_timeout_s, max_attempts)

    @property
    def client(self) -> S3Client:
        """One client per process (boto3 clients are thread-safe but must not cross a fork)."""
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                import boto3
                from botocore.config import Config

                connect, read, attempts = self._timeouts
                config = Config(
                    connect_timeout=connect,
                    read_timeout=read,
                    retries={"total_max_attempts": attempts, "mode": "standard"},
                )
                self._client = boto3.client("s3", endpoint_url=self.endpoint_url, config=config)
                self._client_pid = os.getpid()
            return self._client

    def check_bucket(self, bucket: str) -> None:
        if bucket not in self.buckets:
            raise BucketNotAllowedError(f"Bucket {bucket!r} is not one piiscan scans (PIISCAN_BUCKETS)")

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        self.check_bucket(bucket)
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "ChecksumMode": "ENABLED"}
        if version_id:
            kwargs["VersionId"] = version_id
        with _translate(bucket, key):
            head = self.client.head_object(**kwargs)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=int(head["ContentLength"]),
            etag=normalise_etag(head.get("ETag")),
            version_id=head.get("VersionId") or version_id,
            metadata=clean_metadata(head.get("Metadata", {})),
            sha256=full_object_sha256(head),
        )

    @contextlib.contextmanager
    def download(
        self, bucket: str, key: str, *, version_id: str | None, etag: str | None, max_bytes: int
    ) -> Iterator[Downloaded]:
        info = self.stat(bucket, key, version_id)
        check_size(info, max_bytes)
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        elif etag:
            kwargs["IfMatch"] = f'"{etag}"'
        with _translate(bucket, key):
            response = self.client.get_object(**kwargs)
        body = response["Body"]
        try:
            with _translate(bucket, key), spool(_chunks(body), info, max_bytes, self.download_dir) as downloaded:
                yield downloaded
        finally:
            body.close()

    def put(self, bucket: str, key: str, data: bytes) -> ObjectInfo:
        self.check_bucket(bucket)
        with _translate(bucket, key):
            out = self.client.put_object(Bucket=bucket, Key=key, Body=data)
        return ObjectInfo(bucket, key, len(data), normalise_etag(out.get("ETag")), out.get("VersionId"))


def full_object_sha256(head: Any) -> str | None:
    """The hex SHA-256 of the whole object from a HEAD with ``ChecksumMode=ENABLED``, or None.

    S3 checks a SHA-256 the uploader sends against the body and refuses the upload on a
    mismatch, so the value is as good as hashing the download. A multipart upload's composite
    checksum (``...-N``, type COMPOSITE) is a hash of part hashes, not of the bytes: None."""
    value = head.get("ChecksumSHA256")
    if not isinstance(value, str) or "-" in value or head.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest.hex() if len(digest) == 32 else None


def _chunks(body: Any) -> Iterator[bytes]:
    chunks: Iterator[bytes] = body.iter_chunks(CHUNK)
    yield from chunks


@contextlib.contextmanager
def _translate(bucket: str, key: str) -> Iterator[None]:
    """botocore's errors become storage errors whose messages name the object, never its content."""
    from botocore.exceptions import BotoCoreError, ClientError

    where = f"s3://{bucket}/{key}"
    try:
        yield
    except StorageError:
        raise
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in _PRECONDITION_CODES or status == "412":
            raise VersionMismatchError(f"{where} changed since it was announced (its ETag differs)") from None
        if code in _MISSING_CODES or status in ("403", "404"):
            raise object_missing(bucket, key) from None
        if code in _TRANSIENT_CODES or status.startswith("5"):
            raise StorageUnavailableError(f"the object store failed on {where} ({code or status})") from None
        raise StorageError(f"the object store refused {where} ({code or status})") from None
    except BotoCoreError as exc:
        raise StorageUnavailableError(f"the object store is unreachable ({type(exc).__name__})") from None
