from __future__ import annotations

import pytest

from piiscan.scanner.detect.engine import chunks, suppress
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Finding


@pytest.mark.parametrize(
    ("entity", "value", "masked"),
    [
        ("EMAIL_ADDRESS", "clara.jensen@example.com", "c***@***.com"),
        ("CREDIT_CARD", "4111 1111 1111 1111", "****1111"),
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00", "DE****3000"),
        ("PHONE_NUMBER", "(212) 555-0199", "****0199"),
        ("US_SSN", "536-22-8841", "[US_SSN]"),
        ("PERSON", "Clara  Jensen", "C*** J***"),
        ("MRZ", "P<UTOJENSEN<<CLARA", "[MRZ]"),
        ("DATE_TIME", "01/02/1990", "********"),
    ],
)
def test_mask_keeps_no_identifying_part(entity: str, value: str, masked: str) -> None:
    assert mask(entity, value) == masked


def _f(entity: str, text: str, start: int) -> Finding:
    return Finding(entity, 0.8, 1, "ocr", text, mask(entity, text), start, start + len(text))


def test_suppress_pieces_and_non_names() -> None:
    email = _f("EMAIL_ADDRESS", "clara.jensen@example.com", 10)
    url = _f("URL", "example.com", 23)
    digits = _f("PERSON", "X12345", 50)
    name = _f("PERSON", "Clara Jensen", 70)
    kept = suppress([email, url, digits, name])
    assert kept == [email, name]


def test_chunks_cut_at_line_breaks_and_cover_everything() -> None:
    text = "\n".join(f"line {i} " + "x" * 50 for i in range(100))
    pieces = list(chunks(text, 600))
    assert all(len(chunk) <= 600 for _, chunk in pieces)
    assert all(text[offset : offset + len(chunk)] == chunk for offset, chunk in pieces)
    assert "\n".join(chunk for _, chunk in pieces) == text
