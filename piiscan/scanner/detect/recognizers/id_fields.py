"""Fields of US driver's licences and ID cards laid out by the AAMVA card design standard.

The standard numbers every field on the card: ``1`` family name, ``2`` given names, ``3``
date of birth, ``4a`` issue date, ``4b`` expiry, ``4d`` the licence number (printed
``4d DLN``, ``4d NUMBER`` or ``4d LIC#``), ``5 DD`` the document discriminator (the number of
this very card, which identifies its holder as well as the licence number does). OCR reads
the numbers as part of the text, and neither spaCy nor Presidio's licence patterns know them:
the names are capitals on lines of their own and the numbers mix letters and digits in every
state's own way. The field labels are the evidence, and only text that reads like such a card
is searched.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

_CARD_WORDS = re.compile(
    r"(?<![A-Za-z])(?:DOB|EXP|ISS|CLASS|4a|4b|4d|DLN|LIC|SEX|HGT|EYES|RESTR?|END|DD|DONOR|DRIVER'?S?|LICENSE|LICENCE)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
_MIN_CARD_WORDS = 3
"""Distinct card words a text needs before its numbered lines are read as card fields."""

_CAP = r"A-Z\u00c0-\u00d6\u00d8-\u00de"
# capitals; OCR reads an accented capital inside the name as a small letter ("MARiA" for MARÍA)
_CAPS = rf"[{_CAP}](?:[{_CAP}'\-]|[a-z](?=[{_CAP}]))+"
# "1 TALBOT" / "2 LIAM R."; OCR reads the 1 as "," "-" "." or "|", or drops it.
_NAME_FIELDS = re.compile(
    rf"(?m)^[ \t]*(?:1|[,.\-|])?[ \t]*(?P<family>{_CAPS}(?:[ \t]+{_CAPS})?)[ \t]*\n"
    rf"[ \t]*2[ \t]*(?P<given>{_CAPS}(?:[ \t]+(?:{_CAPS}|[A-Z]\.))*)[ \t]*$"
)
_NUMBER_LABEL = re.compile(
    r"(?:lic(?:en[cs]e)?[ \t]*(?:#|no\b\.?|number\b)|(?<![A-Za-z])dln(?![A-Za-z])|(?<![A-Za-z])dl[ \t]*(?:#|no\b\.?)"
    r"|(?<![A-Za-z0-9])4d[ \t]+(?:number|dln|lic[ \t]*#?|no\b\.?))"
    # the value follows on the same line, or under the label in the next line, after the
    # issue date printed in the column beside it ("4a ISS 4d NUMBER" / "03/18/2018 736HDV7874JSB")
    r"[ \t:#]*(?:\n[ \t]*(?:\n[ \t]*)?(?:\d{1,2}/\d{1,2}/\d{2,4}[ \t]+)?)?"
    r"(?P<value>[A-Z0-9][A-Z0-9\-]{3,18})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")
_MIN_DIGITS = 3
# "5 DD 0012345678901234" / "DD: ..."; OCR reads DD as "OD" and may glue it to the value. The
# value is a long run of capitals and digits, at times split once by a space.
_DISCRIMINATOR = re.compile(
    r"(?<![A-Za-z])[DO]D[ \t]*:?[ \t]*"
    r"(?P<value>[A-Z0-9]{8,30}(?:[ \t](?=[A-Z]*\d)[A-Z0-9]{4,20})?)(?![A-Za-z0-9])"
)
_MIN_DISCRIMINATOR_DIGITS = 6


def looks_like_card(text: str, besides: str = "") -> bool:
    """Whether ``text`` has enough licence field words to be read as a card, ``besides`` not counted
    (the label a recognizer found: "DD" is also a bank statement's direct debit)."""
    words = {m.group().upper() for m in _CARD_WORDS.finditer(text)} - {besides}
    return len(words) >= _MIN_CARD_WORDS


class CardNameRecognizer(OwnRecognizer):
    """PERSON from a licence's numbered name lines ("1 FAMILY" above "2 GIVEN"); one result each."""

    name: str
    SCORE = 0.7

    ENTITY = "PERSON"

    def find(self, text: str) -> list[RecognizerResult]:
        if "\n2" not in text:
            return []
        # the numbered lines first: a tenth of the cost of the card words, and rarely there
        fields = list(_NAME_FIELDS.finditer(text))
        if not fields or not looks_like_card(text):
            return []
        results = []
        for match in fields:
            for group in ("family", "given"):
                results.append(self.result(match.start(group), match.end(group), self.SCORE))
        return results


class LicenceNumberRecognizer(OwnRecognizer):
    """US_DRIVER_LICENSE after a licence-number label (``LIC#``, ``DLN``, ``4d NUMBER``)."""

    name: str
    SCORE = 0.75

    ENTITY = "US_DRIVER_LICENSE"

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        for match in _NUMBER_LABEL.finditer(text):
            value = match.group("value")
            if sum(ch.isdigit() for ch in value) < _MIN_DIGITS or _DATE.fullmatch(value):
                continue
            results.append(self.result(match.start("value"), match.end("value"), self.SCORE))
        return results


class DocumentDiscriminatorRecognizer(OwnRecognizer):
    """ID_NUMBER for the document discriminator after ``5 DD`` / ``DD:`` on a licence card."""

    name: str
    SCORE = 0.6

    ENTITY = "ID_NUMBER"

    def find(self, text: str) -> list[RecognizerResult]:
        if "DD" not in text and "OD" not in text:
            return []
        results: list[RecognizerResult] = []
        for match in _DISCRIMINATOR.finditer(text):
            if sum(ch.isdigit() for ch in match.group("value")) < _MIN_DISCRIMINATOR_DIGITS:
                continue
            if not results and not looks_like_card(text, besides="DD"):
                return []
            results.append(self.result(match.start("value"), match.end("value"), self.SCORE))
        return results
