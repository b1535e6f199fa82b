"""A local folder as the object store of the embedded mode: one sub-folder per bucket.

There are no versions: an object's version is its modification time and size, so a file
written again under the same key is a new version, as it would be in a versioned bucket.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from piiscan.storage.base import (
    CHUNK,
    BucketNotAllowedError,
    Downloaded,
    ObjectInfo,
    ObjectNotFoundError,
    VersionMismatchError,
    check_name,
    check_size,
    object_missing,
    spool,
)


class LocalStore:
    opaque_keys = False
    """Keys are paths here: ``a//x`` and ``a/./x`` are the file ``a/x`` (:func:`piiscan.storage.canonical_key`)."""

    def __init__(self, root: str | Path, buckets: Iterable[str], download_dir: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.buckets = frozenset(buckets)
        self.download_dir = download_dir

    def check_bucket(self, bucket: str) -> None:
        if bucket not in self.buckets:
            raise BucketNotAllowedError(f"Bucket {bucket!r} is not one piiscan scans (PIISCAN_BUCKETS)")

    def _path(self, bucket: str, key: str) -> Path:
        self.check_bucket(bucket)
        check_name(key, "key")  # a NUL would reach the filesystem call as a ValueError (a 500)
        base = (self.root / bucket).resolve()
        path = (base / key).resolve()
        if not key or key.startswith("/") or not path.is_relative_to(base) or path == base:
            raise ObjectNotFoundError(f"{key!r} is not a valid key in bucket {bucket!r}")
        return path

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        path = self._path(bucket, key)
        try:
            st = path.stat()
        except OSError:
            raise object_missing(bucket, key) from None
        if not path.is_file():
            raise ObjectNotFoundError(f"s3://{bucket}/{key} is not a file")
        current = f"{st.st_mtime_ns:x}-{st.st_size:x}"
        if version_id and version_id != current:
            raise ObjectNotFoundError(f"version {version_id} of s3://{bucket}/{key} does not exist")
        return ObjectInfo(bucket, key, st.st_size, etag=current, version_id=current)

    @contextlib.contextmanager
    def download(
        self, bucket: str, key: str, *, version_id: str | None, etag: str | None, max_bytes: int
    ) -> Iterator[Downloaded]:
        info = self.stat(bucket, key, version_id)
        if etag and etag != info.etag:
            raise VersionMismatchError(f"s3://{bucket}/{key} changed since it was announced")
        check_size(info, max_bytes)
        with open(self._path(bucket, key), "rb") as src, spool(_chunks(src), info, max_bytes, self.download_dir) as d:
            yield d

    def put(self, bucket: str, key: str, data: bytes) -> ObjectInfo:
        path = self._path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return self.stat(bucket, key)


def _chunks(src: BinaryIO) -> Iterator[bytes]:
    while chunk := src.read(CHUNK):
        yield chunk
