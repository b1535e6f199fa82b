"""Seven-digit local phone numbers (``555-0100``) written in a field labelled as a phone.

Forms still ask for a "Home Phone" with an empty area-code box, and people write the local
number alone. python-phonenumbers rightly refuses a US number without its area code, so
these were never found. Seven digits with one dash are also order and reference numbers,
so the phone label in the same line, or in the line just above (a form's column header),
is required. A US exchange never starts with 0 or 1, so such a number counts only when it
follows the form's empty area-code box ("( ) 155-0100"): the box says a phone was written there.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer, line_above

_NUMBER = re.compile(r"(?<![\w\-/.])(?P<number>\d{3}-\d{4})(?![\w\-/]|\.\d)")
_LABEL = re.compile(r"(?<![a-z])(?:phone|telephone|tel|cell|mobile|telefon|t[ée]l[ée]phone|tel[ée]fono)(?![a-z])")
_AREA_CODE_BEFORE = re.compile(r"\d[ \t)\].\-]*$")
"""A digit just before means this is the tail of a longer number, which the main recognizer reads."""
_EMPTY_AREA_CODE = re.compile(r"\([ \t]*\)[ \t]*$")


class LocalPhoneRecognizer(OwnRecognizer):
    """PHONE_NUMBER for ``NNN-NNNN`` after a phone label on its line or the line above."""

    name: str
    SCORE = 0.6

    ENTITY = "PHONE_NUMBER"

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        for match in _NUMBER.finditer(text):
            start = match.start("number")
            line_start = text.rfind("\n", 0, start) + 1
            before = text[line_start:start]
            if _AREA_CODE_BEFORE.search(before):
                continue
            if match.group("number")[0] in "01" and not _EMPTY_AREA_CODE.search(before):
                continue  # no US exchange starts so, unless the area-code box says it is a phone
            if not _LABEL.search(before.lower()) and not _LABEL.search(line_above(text, line_start).lower()):
                continue
            results.append(self.result(start, match.end("number"), self.SCORE))
        return results
