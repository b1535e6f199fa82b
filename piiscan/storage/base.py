"""The storage contract, its errors and the streaming download shared by every store.

Errors carry an HTTP-like ``status`` and a message safe to log and to return to the
caller (bucket and key names only, never content). :class:`StorageUnavailableError` is
the one transient error: workers retry it with backoff, everything else is final.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

CHUNK = 1024 * 1024


class StorageError(Exception):
    """Base of storage errors; ``code`` is stable, ``status`` is what the API answers."""

    code = "storage_error"
    status = 502

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class BucketNotAllowedError(StorageError):
    code = "unknown_bucket"
    status = 404


class ObjectNotFoundError(StorageError):
    code = "not_found"
    status = 404


def object_missing(bucket: str, key: str) -> ObjectNotFoundError:
    """The one error of an object that is missing, not readable, or outside the caller's scope: the
    same message for all three, so an answer never tells which."""
    return ObjectNotFoundError(f"s3://{bucket}/{key} does not exist, or piiscan may not read it")


class InvalidKeyError(StorageError):
    """A bucket or key that cannot name an object (a ``..`` that leaves the bucket)."""

    code = "invalid_key"
    status = 400


class ControlCharacterError(InvalidKeyError):
    """A NUL or other control character in a name: no store holds such an object, no database column
    takes NUL, and logs would be forged with it. Refused before anything reads it."""

    code = "control_character"


def _has_control(value: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value)


def check_name(value: str, what: str) -> str:
    """``value`` unchanged, or :class:`ControlCharacterError` naming ``what`` (never echoing the value)."""
    if _has_control(value):
        raise ControlCharacterError(f"The {what} contains a control character (such as NUL): refused")
    return value


def canonical_key(key: str, *, opaque: bool = False) -> str:
    """The one spelling of ``key`` that the idempotency key, the tenancy scopes and the store all use.

    For a store that resolves keys as paths (the local folder), ``samples/./x.png``, ``samples//x.png``
    and ``samples/x.png`` are one file, so they are one key here; ``..`` segments are resolved and one
    that leaves the bucket is refused. In S3 a key is an opaque string (``a//x`` and ``a/x`` are two
    objects): ``opaque`` keeps it as given. Control characters are refused either way."""
    check_name(key, "key")
    if opaque or key.startswith("/"):  # a leading slash is refused by the local store as before
        return key
    parts: list[str] = []
    for segment in key.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                raise InvalidKeyError("The key leaves its bucket (a '..' segment above the bucket root): refused")
            parts.pop()
            continue
        parts.append(segment)
    return "/".join(parts) or key


def store_key(store: object, key: str) -> str:
    """:func:`canonical_key` as ``store`` spells keys (its ``opaque_keys``; opaque when it does not say)."""
    return canonical_key(key, opaque=bool(getattr(store, "opaque_keys", True)))


class VersionMismatchError(StorageError):
    code = "version_mismatch"
    status = 409


class ObjectTooLargeError(StorageError):
    code = "file_too_large"
    status = 413


class StorageUnavailableError(StorageError):
    """The store could not be reached or answered with a server error: worth a retry."""

    code = "storage_unavailable"
    status = 503


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a HEAD tells about one object version."""

    bucket: str
    key: str
    size: int
    etag: str | None
    version_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None
    """Hex SHA-256 of the whole object as the store verified it on upload (S3 ``ChecksumSHA256``
    of type FULL_OBJECT), when it keeps one: the bytes' identity without reading them."""

    @property
    def version(self) -> str:
        """The identity of this version: the version id when the bucket is versioned, else the ETag."""
        if self.version_id and self.version_id != "null":
            return f"v:{self.version_id}"
        return f"e:{self.etag or ''}"


@dataclass(frozen=True, slots=True)
class Downloaded:
    """An object streamed to a temporary file; the file exists only inside ``download``'s block."""

    info: ObjectInfo
    path: Path
    size: int
    sha256: str

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


@runtime_checkable
class ObjectStore(Protocol):
    """Read-side contract of a bucket store; ``put`` exists for the embedded demo and tests."""

    def check_bucket(self, bucket: str) -> None:
        """Raise :class:`BucketNotAllowedError` unless the bucket is on the allow-list."""

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """HEAD one object (a given version, or the current one)."""
        ...

    def download(
        self, bucket: str, key: str, *, version_id: str | None, etag: str | None, max_bytes: int
    ) -> contextlib.AbstractContextManager[Downloaded]:
        """Stream the object to a temp file, refusing it before download when larger than ``max_bytes``."""
        ...

    def put(self, bucket: str, key: str, data: bytes) -> ObjectInfo:
        """Write an object (embedded demo, tests)."""
        ...


def normalise_etag(etag: str | None) -> str | None:
    return etag.strip().strip('"') if etag else None


def clean_metadata(raw: dict[str, str]) -> dict[str, str]:
    """User metadata with lower-case names and without the ``x-amz-meta-`` prefix."""
    out: dict[str, str] = {}
    for name, value in raw.items():
        low = name.lower()
        out[low.removeprefix("x-amz-meta-")] = value
    return out


SPOOL_GRACE_S = 60.0
"""An unlocked spool file younger than this may be a download between its creation and its lock."""


@contextlib.contextmanager
def spool(chunks: Iterable[bytes], info: ObjectInfo, max_bytes: int, directory: str | None) -> Iterator[Downloaded]:
    """Write ``chunks`` to a private temp file while hashing; the file is removed whatever happens.

    The file is ``flock``-ed for as long as it exists: a process killed with SIGKILL (no ``finally``)
    drops the lock with its last descriptor, so :func:`remove_stale_spool` knows its file is dead at once."""
    fd, name = tempfile.mkstemp(prefix="piiscan-", suffix=".part", dir=directory)
    path = Path(name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        digest = hashlib.sha256()
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise ObjectTooLargeError(
                    f"s3://{info.bucket}/{info.key} grew past the limit of {max_bytes} bytes while downloading"
                )
            digest.update(chunk)
            _write_all(fd, chunk)
        yield Downloaded(info=info, path=path, size=size, sha256=digest.hexdigest())
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)  # after the unlink: the lock is held until the name is gone


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def remove_stale_spool(directory: str | None, grace_s: float = SPOOL_GRACE_S) -> int:
    """Remove temp files left by a process killed mid-download (SIGKILL runs no ``finally``).

    A file whose lock a live download holds is skipped whatever its age; an unlocked one is dead and
    removed once older than ``grace_s`` (the moment between ``mkstemp`` and ``flock``). Run when a
    worker process starts and by the sweeper, so a killed scan's copy of an upload does not linger."""
    folder = Path(directory or tempfile.gettempdir())
    cutoff = time.time() - grace_s
    removed = 0
    for path in folder.glob("piiscan-*.part"):
        try:
            if path.stat().st_mtime > cutoff:
                continue
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a live download holds it
        else:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        finally:
            os.close(fd)
    return removed


def check_size(info: ObjectInfo, max_bytes: int) -> None:
    if info.size > max_bytes:
        raise ObjectTooLargeError(
            f"s3://{info.bucket}/{info.key} is {info.size} bytes, the limit is {max_bytes} (PIISCAN_MAX_FILE_BYTES)"
        )
