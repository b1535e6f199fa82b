"""Read an input's bytes from a path or an ``s3://bucket/key`` address, size-capped before reading."""

from __future__ import annotations

from pathlib import Path

from piiscan.scanner.errors import FileTooLargeError, InputNotFoundError
from piiscan.settings import Settings


def read_input(source: str, settings: Settings) -> bytes:
    if source.startswith("s3://"):
        return _read_s3(source, settings)
    path = Path(source)
    try:
        size = path.stat().st_size
    except OSError:
        raise InputNotFoundError("The file does not exist or cannot be read") from None
    if size > settings.max_file_bytes:
        raise FileTooLargeError(f"The file is {size} bytes, the limit {settings.max_file_bytes}")
    try:
        return path.read_bytes()
    except OSError:
        raise InputNotFoundError("The file cannot be read") from None


def _read_s3(source: str, settings: Settings) -> bytes:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = source[len("s3://") :].partition("/")
    if not bucket or not key:
        raise InputNotFoundError("An S3 address needs a bucket and a key: s3://bucket/key")
    client = boto3.client("s3", endpoint_url=settings.s3_endpoint_url or None)
    try:
        head = client.head_object(Bucket=bucket, Key=key)
        size = int(head["ContentLength"])
        if size > settings.max_file_bytes:
            raise FileTooLargeError(f"The object is {size} bytes, the limit {settings.max_file_bytes}")
        body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        raise InputNotFoundError("The S3 object does not exist or access was denied") from None
    except BotoCoreError as exc:
        raise InputNotFoundError(f"S3 is unreachable ({type(exc).__name__})") from None
    return body
