"""CREDIT_CARD numbers Presidio's card recognizer misses: Mastercard's 2-series, and the number on
the face of a payment card whose check digit OCR broke.

Presidio's pattern knows the card ranges starting 1 and 3-6; Mastercard has issued numbers from
222100 to 272099 since 2017, and those are read with the same Luhn check here.

Presidio's card recognizer rightly wants the Luhn check: sixteen digits in prose are an order
or tracking number as often as a card. On a photo of the card itself one misread digit fails
the check, yet the number is still that card's number, and the face says what it is: the
number alone on its line in the card's four-by-four grouping, an expiry date (``MM/YY``) a few
lines away, and the wording every card prints (valid thru, bank, the scheme's name). All of it
is required; a Luhn-valid number is left to Presidio.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

# 16 digits as 4-4-4-4 (Visa, Mastercard, Discover), or 15 as 4-6-5 (Amex), alone on the line
_FACE_NUMBER = re.compile(r"(?m)^[ \t]*(?P<number>[3-6]\d{3}(?:[ \t]\d{4}){3}|3[47]\d{2}[ \t]\d{6}[ \t]\d{5})[ \t]*$")
_EXPIRY = re.compile(r"(?<![\d/])(?:0[1-9]|1[0-2])[ \t]?/[ \t]?\d{2}(?![\d/])")
_CARD_WORDS = re.compile(
    r"(?i)\b(?:valid|thru|through|expires?|exp|good|bank|card|credit|debit|visa|mastercard|maestro|amex|"
    r"american\s+express|discover|platinum|gold|member\s+since|cardholder|signed)\b"
)
_NEAR_LINES = 4
"""Lines above or below the number searched for the expiry date: the face is small."""


def luhn_valid(digits: str) -> bool:
    """The card check digit; written apart from the synthetic corpus's own, so neither hides the other's error."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _around(text: str, start: int, end: int, lines: int) -> str:
    top, bottom = start, end
    for _ in range(lines):
        top = max(text.rfind("\n", 0, max(top - 1, 0)), 0)
        found = text.find("\n", bottom + 1)
        bottom = len(text) if found < 0 else found
    return text[top:start] + text[end:bottom]


class CardFaceRecognizer(OwnRecognizer):
    """CREDIT_CARD: a card-face number failing Luhn, with an expiry date and card wording; score 0.5."""

    name: str
    ENTITY = "CREDIT_CARD"
    SCORE = 0.5

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        for match in _FACE_NUMBER.finditer(text):
            digits = "".join(ch for ch in match["number"] if ch.isdigit())
            if luhn_valid(digits):
                continue
            near = _around(text, match.start(), match.end(), _NEAR_LINES)
            if _EXPIRY.search(near) and _CARD_WORDS.search(text):
                results.append(self.result(match.start("number"), match.end("number"), self.SCORE))
        return results


_TWO_SERIES = re.compile(r"(?<![\d-])(?P<number>2[2-7]\d{2}(?:[ -]?\d{4}){3})(?![\d-])")
_TWO_SERIES_RANGE = range(222100, 272100)


class MastercardTwoSeriesRecognizer(OwnRecognizer):
    """CREDIT_CARD: a 16-digit Mastercard number of the 2-series range that passes Luhn; score 0.9."""

    name: str
    ENTITY = "CREDIT_CARD"
    SCORE = 0.9

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        for match in _TWO_SERIES.finditer(text):
            digits = "".join(ch for ch in match["number"] if ch.isdigit())
            if int(digits[:6]) in _TWO_SERIES_RANGE and luhn_valid(digits):
                results.append(self.result(match.start("number"), match.end("number"), self.SCORE))
        return results
