"""``s3://`` inputs through boto3 against a real S3 HTTP server (moto's server mode on loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.synth.render import text_pdf

EMAIL = "clara.jensen@example.com"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)


def test_scan_s3_object(scanner: Scanner, s3_endpoint: str, aws_env: None) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket="uploads")
    client.put_object(Bucket="uploads", Key="u/1/letter.pdf", Body=text_pdf([[f"Mail {EMAIL}"]]))
    client.put_object(Bucket="uploads", Key="u/1/big.txt", Body=b"x" * 5000)

    s3_scanner = Scanner(Settings(s3_endpoint_url=s3_endpoint), detector=scanner.detector)
    result = s3_scanner.scan_source("s3://uploads/u/1/letter.pdf").result
    assert result.source == "s3://uploads/u/1/letter.pdf" and result.media_type == "application/pdf"
    assert [f.entity_type for f in result.findings if f.entity_type == "EMAIL_ADDRESS"] == ["EMAIL_ADDRESS"]

    missing = s3_scanner.scan_source("s3://uploads/u/1/nope.png").result
    assert missing.error and missing.error["code"] == "not_found"

    capped = Scanner(Settings(s3_endpoint_url=s3_endpoint, max_file_bytes=1000), detector=scanner.detector)
    too_big = capped.scan_source("s3://uploads/u/1/big.txt").result
    assert too_big.error and too_big.error["code"] == "file_too_large"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "test"
