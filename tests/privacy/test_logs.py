"""The log redaction filter: the last line of defence, on every handler and every record."""

from __future__ import annotations

import io
import logging

import pytest

from piiscan.privacy import logs


@pytest.mark.parametrize(
    "value",
    [
        "clara.jensen@example.com",
        "+1 (212) 555-0199",
        "212-555-0199",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "123-45-6789",
    ],
)
def test_values_are_masked(value: str) -> None:
    assert value not in logs.redact(f"found {value} in the upload")
    assert logs.REDACTED in logs.redact(f"found {value} in the upload")


@pytest.mark.parametrize(
    "line",
    [
        "scan 3fa85f6412344562b3fc2c963f66afa6 done: personal_data in 512.3 ms",
        "webhook delivery 0a1b2c3d4e5f60718293a4b5c6d7e8f9: delivered (HTTP 204)",
        "retention purge: audit=3, webhooks=12",
        "scan ee48ff6db60149d2b5e676ba9a66fa61 will be retried",  # starts like an Estonian IBAN
        "GET /v1/scans/ab12cd34-5678-4abc-9def-0123456789ab",
    ],
)
def test_ids_and_figures_are_kept(line: str) -> None:
    assert logs.redact(line) == line


def test_values_beside_an_id_are_still_masked() -> None:
    line = logs.redact("scan ee48ff6db60149d2b5e676ba9a66fa61: EE38 2200 2210 2014 5685, +49 30 1234 5678")
    assert line == "scan ee48ff6db60149d2b5e676ba9a66fa61: [redacted], [redacted]"
    assert logs.redact("EE382200221020145685ab12cd34ef56ab78") == logs.REDACTED  # not an id's shape
    assert logs.redact("from ee48ff6db60149d2b5e676ba9a66fa61@example.org") == f"from {logs.REDACTED}"


def test_installed_filter_redacts_arguments_tracebacks_and_extras_on_any_handler() -> None:
    logs.install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # added after install: the record factory still redacts
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("piiscan.test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("user %s called %s", "clara.jensen@example.com", "+1 212 555 0199")
        try:
            raise ValueError("bad card 4111 1111 1111 1111")
        except ValueError:
            logger.exception("failed")
        logs.add_to_handlers(logger)
        logger.warning("extra", extra={"who": "clara.jensen@example.com"})
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for value in ("clara.jensen@example.com", "555 0199", "4111 1111 1111 1111"):
        assert value not in out
    assert out.count(logs.REDACTED) >= 4


def test_json_lines_are_structured_and_redacted() -> None:
    import json

    logs.install()
    stream = io.StringIO()
    logger = logging.getLogger("piiscan.test.json")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(stream))
    logger.setLevel(logging.INFO)
    logs.use_json(logger)
    logs.add_to_handlers(logger)
    logger.info("scan %s done", "3fa85f6412344562b3fc2c963f66afa6", extra={"sha256": "ab" * 32, "to": "x@example.org"})
    line = json.loads(stream.getvalue())
    assert line["msg"] == "scan 3fa85f6412344562b3fc2c963f66afa6 done" and line["level"] == "INFO"
    assert line["sha256"] == "ab" * 32 and line["to"] == logs.REDACTED


def test_arguments_keep_their_shape_for_formatters_that_unpack_them() -> None:
    """uvicorn's access formatter unpacks ``record.args`` (client, method, path, version, status)."""
    record = logging.makeLogRecord(
        {
            "msg": '%s - "%s %s HTTP/%s" %d',
            "args": ("127.0.0.1:5000", "GET", "/v1/find?email=clara.jensen@example.com", "1.1", 200),
        }
    )
    logs.RedactingFilter().filter(record)
    assert isinstance(record.args, tuple) and len(record.args) == 5
    client, method, path, version, status = record.args
    assert (client, method, version, status) == ("127.0.0.1:5000", "GET", "1.1", 200)
    assert "clara" not in record.getMessage() and logs.REDACTED in path


@pytest.mark.parametrize("number", [2125550173, 4111111111111111])
def test_long_numbers_in_arguments_are_redacted_even_under_percent_d(number: int) -> None:
    record = logging.makeLogRecord({"msg": "value %d and %s", "args": (number, number)})
    logs.RedactingFilter().filter(record)
    assert str(number) not in record.getMessage() and logs.REDACTED in record.getMessage()


def test_uvicorn_access_lines_format_after_redaction() -> None:
    from uvicorn.logging import AccessFormatter

    record = logging.makeLogRecord(
        {
            "name": "uvicorn.access",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": '%s - "%s %s HTTP/%s" %d',
            "args": ("127.0.0.1:5000", "GET", "/healthz?phone=+12125550199", "1.1", 200),
        }
    )
    logs.RedactingFilter().filter(record)
    line = AccessFormatter(use_colors=False).format(record)
    assert "GET /healthz?phone=" in line and "5550199" not in line and "200" in line
