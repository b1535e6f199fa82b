"""Names confirmed by the e-mail address or handle made from them. Every name is made up."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.recognizers import HandleNameRecognizer


def _names(text: str) -> list[str]:
    return [text[r.start : r.end] for r in HandleNameRecognizer().analyze(text, ["PERSON"])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ODA\n\nBRENNVIK\n\nPROFILE\nContact: oda_brennvik", ["ODA\n\nBRENNVIK"]),  # one word a line
        ("Tove Lindqvist\nSenior Analyst\ntove.lindqvist@example.org", ["Tove Lindqvist"]),
        ("LINDQVIST Tove\nlindqvist-tove@example.org", ["LINDQVIST Tove"]),
        ("Mail tove.lindqvist@example.org today", []),  # the handle alone is no printed name
        ("tove lindqvist wrote tove.lindqvist@example.org", []),  # lower-case words are not a name
        ("Tove\n\n\n\n\nLindqvist\ntove.lindqvist@example.org", []),  # too far apart
        ("Tove Lindqvist\nNo handle here", []),
        ("Search Find Refund on example.gov/individuals/find-refund", []),  # a URL slug
        ("Search Find Refund, see find-refund", []),  # a hyphenated word
    ],
)
def test_handle_name(text: str, expected: list[str]) -> None:
    assert _names(text) == expected


def test_handle_name_only_for_person() -> None:
    assert HandleNameRecognizer().analyze("Tove Lindqvist tove.lindqvist@example.org", ["EMAIL_ADDRESS"]) == []
