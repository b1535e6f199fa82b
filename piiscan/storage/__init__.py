"""Object storage behind one Protocol: any S3-compatible endpoint, or a local folder when embedded."""

from __future__ import annotations

from piiscan.settings import Settings
from piiscan.storage.base import (
    BucketNotAllowedError,
    ControlCharacterError,
    Downloaded,
    InvalidKeyError,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    ObjectTooLargeError,
    StorageError,
    StorageUnavailableError,
    VersionMismatchError,
    canonical_key,
    check_name,
    store_key,
)
from piiscan.storage.local import LocalStore
from piiscan.storage.s3 import S3Store


def make_store(settings: Settings) -> ObjectStore:
    """The store the settings name: ``s3`` (boto3) or ``local`` (a folder per bucket)."""
    if settings.storage_backend == "local":
        return LocalStore(settings.local_storage_dir, settings.buckets, settings.download_dir)
    return S3Store(
        settings.buckets,
        endpoint_url=settings.s3_endpoint_url,
        download_dir=settings.download_dir,
        connect_timeout_s=settings.s3_connect_timeout_s,
        read_timeout_s=settings.s3_read_timeout_s,
        max_attempts=settings.s3_max_attempts,
    )


__all__ = [
    "BucketNotAllowedError",
    "ControlCharacterError",
    "Downloaded",
    "InvalidKeyError",
    "LocalStore",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "ObjectTooLargeError",
    "S3Store",
    "StorageError",
    "StorageUnavailableError",
    "VersionMismatchError",
    "canonical_key",
    "check_name",
    "make_store",
    "store_key",
]
