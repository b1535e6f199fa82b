"""Both stores: the S3 one against a real S3 HTTP server (moto), the local folder one on disk."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from piiscan.storage import (
    BucketNotAllowedError,
    LocalStore,
    ObjectNotFoundError,
    ObjectStore,
    ObjectTooLargeError,
    S3Store,
    StorageUnavailableError,
    VersionMismatchError,
)


@pytest.fixture()
def spool_dir(tmp_path: Path) -> Path:
    d = tmp_path / "spool"
    d.mkdir()
    return d


@pytest.fixture()
def store(s3_endpoint: str, s3: Any, spool_dir: Path) -> S3Store:
    return S3Store(["uploads", "plain"], endpoint_url=s3_endpoint, download_dir=str(spool_dir))


def test_both_stores_follow_the_protocol(store: S3Store, tmp_path: Path) -> None:
    assert isinstance(store, ObjectStore)
    assert isinstance(LocalStore(tmp_path, ["b"]), ObjectStore)


def test_versioned_download_streams_to_a_temp_file_that_is_removed(
    store: S3Store, s3: Any, spool_dir: Path, unique_key: Callable[[str], str]
) -> None:
    key = unique_key("doc.txt")
    v1 = s3.put_object(Bucket="uploads", Key=key, Body=b"first version")["VersionId"]
    s3.put_object(Bucket="uploads", Key=key, Body=b"second, longer version")
    info = store.stat("uploads", key, v1)
    assert info.size == len(b"first version") and info.version == f"v:{v1}"
    with store.download("uploads", key, version_id=v1, etag=None, max_bytes=1000) as downloaded:
        assert downloaded.path.parent == spool_dir and downloaded.read_bytes() == b"first version"
        assert downloaded.sha256 == hashlib.sha256(b"first version").hexdigest()
        path = downloaded.path
    assert not path.exists() and list(spool_dir.iterdir()) == []


def test_temp_file_is_removed_when_the_block_fails(
    store: S3Store, s3: Any, spool_dir: Path, unique_key: Callable[[str], str]
) -> None:
    key = unique_key("doc.txt")
    s3.put_object(Bucket="plain", Key=key, Body=b"data")
    with pytest.raises(RuntimeError), store.download("plain", key, version_id=None, etag=None, max_bytes=100):
        raise RuntimeError("scanner crashed")
    assert list(spool_dir.iterdir()) == []


def test_size_cap_applies_before_download(
    store: S3Store, s3: Any, spool_dir: Path, unique_key: Callable[[str], str]
) -> None:
    key = unique_key("big.bin")
    s3.put_object(Bucket="plain", Key=key, Body=b"x" * 5000)
    with (
        pytest.raises(ObjectTooLargeError, match="5000 bytes"),
        store.download("plain", key, version_id=None, etag=None, max_bytes=4999),
    ):
        pass
    assert list(spool_dir.iterdir()) == []


def test_etag_pins_the_announced_content(store: S3Store, s3: Any, unique_key: Callable[[str], str]) -> None:
    key = unique_key("doc.txt")
    etag = s3.put_object(Bucket="plain", Key=key, Body=b"announced")["ETag"].strip('"')
    with store.download("plain", key, version_id=None, etag=etag, max_bytes=100) as downloaded:
        assert downloaded.read_bytes() == b"announced"
    s3.put_object(Bucket="plain", Key=key, Body=b"overwritten")
    with pytest.raises(VersionMismatchError), store.download("plain", key, version_id=None, etag=etag, max_bytes=100):
        pass


def test_allow_list_and_missing_objects(store: S3Store, unique_key: Callable[[str], str]) -> None:
    with pytest.raises(BucketNotAllowedError, match="not-allowed"):
        store.stat("not-allowed", "x")
    with pytest.raises(ObjectNotFoundError):
        store.stat("plain", unique_key("missing"))
    with pytest.raises(ObjectNotFoundError):
        store.stat("uploads", unique_key("missing"), "no-such-version")


def test_unreachable_endpoint_is_transient() -> None:
    dead = S3Store(["plain"], endpoint_url="http://127.0.0.1:9")
    with pytest.raises(StorageUnavailableError, match="unreachable"):
        dead.stat("plain", "x")


def test_local_store(tmp_path: Path, spool_dir: Path) -> None:
    local = LocalStore(tmp_path / "buckets", ["uploads"], str(spool_dir))
    info = local.put("uploads", "a/b.txt", b"hello")
    assert info.size == 5 and local.stat("uploads", "a/b.txt").version == info.version
    with local.download("uploads", "a/b.txt", version_id=None, etag=info.etag, max_bytes=10) as downloaded:
        assert downloaded.read_bytes() == b"hello"
    assert list(spool_dir.iterdir()) == []
    with (
        pytest.raises(ObjectTooLargeError),
        local.download("uploads", "a/b.txt", version_id=None, etag=None, max_bytes=4),
    ):
        pass
    for bad in ("../outside.txt", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(ObjectNotFoundError):
            local.stat("uploads", bad)
    with pytest.raises(BucketNotAllowedError):
        local.stat("other", "a/b.txt")
    with pytest.raises(ObjectNotFoundError):
        local.stat("uploads", "a/missing.txt")


def test_stale_spool_files_of_killed_workers_are_removed(spool_dir: Path) -> None:
    import os
    import time

    from piiscan.storage.base import remove_stale_spool

    stale, fresh, other = spool_dir / "piiscan-a.part", spool_dir / "piiscan-b.part", spool_dir / "other.part"
    for path in (stale, fresh, other):
        path.write_bytes(b"x")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    assert remove_stale_spool(str(spool_dir), grace_s=600) == 1
    assert not stale.exists() and fresh.exists() and other.exists()
