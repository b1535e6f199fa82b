"""STREET_ADDRESS for a postal address block that closes with a six-digit postcode line.

Indian letters and ID cards (and others whose postcodes have six digits: Singapore, China,
Russia) print the address as a column of short lines without a street type the street address
recognizer knows: "12, Lake View Apartments / Temple Road / Kadavanthra / Kochi / Kerala
682020". spaCy tags the town lines as places one by one, each naming a city of millions; the
block together is where someone lives. The postcode line is the evidence, and the block runs
up over the short lines above it to a label, a name line ("S/O ...", "To,") or a longer line.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

# A line ending in a place and a six-digit postcode ("Kerala 682020", "Chennai - 600 028"):
# the postcode is found first, then the place word before it (two scans that stay linear).
_POSTCODE_END = re.compile(r"(?m)(?<!\w)[1-9]\d{2}[ \t]?\d{3}[ \t]*$")
_PLACE_BEFORE = re.compile(r"[A-Z][a-zA-Z.]+[ \t]*[-\u2013,]?[ \t]*$")
_MAX_LINES = 7
_MAX_WORDS = 6
_MAX_CHARS = 60
_NOT_IN_BLOCK = re.compile(
    r"[:@#]|^\s*(?:[SDWC][ \t]*/[ \t]*O\b|to\b|dear\b|ref\b|date\b)|^[\d\s+()./-]+$", re.IGNORECASE
)
"""A label, an e-mail, a name line ("S/O ..."), an opening ("To,"), or a bare number (a phone)."""
_ADDRESS_EVIDENCE = re.compile(
    r"^\s*\d{1,4}[A-Za-z]?(?:[ \t]|[,/-])|\b(?:road|rd|street|st|lane|marg|nagar|colony|sector|block|floor|"
    r"flat|room|house|building|bldg|buldg|apartments?|apts?|society|village|district|dist|taluka|tehsil|po|post)\b",
    re.IGNORECASE,
)
"""What makes a line above the postcode part of an address: a leading house number or an address word."""


class AddressBlockRecognizer(OwnRecognizer):
    """A column of address lines over a six-digit postcode line; score 0.7."""

    name: str
    SCORE = 0.7

    ENTITY = "STREET_ADDRESS"

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        for match in _POSTCODE_END.finditer(text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            head = text[line_start : match.start()]
            if any(ch in head for ch in ":@#") or not _PLACE_BEFORE.search(head[-_MAX_CHARS:]):
                continue
            start = block_start(text, line_start)
            if start is None:
                continue
            results.append(self.result(start, match.end(), self.SCORE))
        return results


def block_start(text: str, line_start: int) -> int | None:
    """Where the block over the postcode line at ``line_start`` begins, or None when the lines
    above hold no house number or address word (a town and postcode alone are no address)."""
    start = line_start
    lines = 0
    evidence = False
    blank_run = 0
    pos = line_start
    while pos > 0 and lines < _MAX_LINES:
        prev_start = text.rfind("\n", 0, pos - 1) + 1
        line = text[prev_start : pos - 1]
        pos = prev_start
        if not line.strip():
            blank_run += 1
            if blank_run > 1:
                break
            continue
        blank_run = 0
        if len(line.split()) > _MAX_WORDS or len(line) > _MAX_CHARS or _NOT_IN_BLOCK.search(line):
            break
        evidence = evidence or bool(_ADDRESS_EVIDENCE.search(line))
        start = prev_start + len(line) - len(line.lstrip())
        lines += 1
    return start if lines >= 2 and evidence else None
