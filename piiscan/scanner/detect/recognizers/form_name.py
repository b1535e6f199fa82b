"""PERSON for a full name alone on its line under a form field whose caption mentions a name:
"1. To (Name and address of employer)" above "Alejandro Rosalez".

Form captions are long ("Print or type name signed in Item 26") and end without a colon, so
the labelled-name recognizer, which wants "Label: value", does not see them, and spaCy takes
two capitalised words on a line of their own for anything. The caption above is the evidence;
the value must look like a name (two or three capitalised words, none a form word).
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer, line_above

_CAPTION = re.compile(r"(?<![A-Za-z])names?(?![A-Za-z])", re.IGNORECASE)
_WORD = r"(?:[A-Z][a-z'\-]+|[A-Z]{2,})"
_NAME_LINE = re.compile(rf"(?m)^[ \t]*(?P<name>{_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_WORD}){{1,2}})[ \t]*$")
_FORM_WORDS = frozenset(
    [
        "name",
        "names",
        "address",
        "date",
        "signature",
        "street",
        "city",
        "state",
        "zip",
        "phone",
        "number",
        "last",
        "first",
        "middle",
        "applicant",
        "employer",
        "lender",
        "print",
        "type",
        "title",
        "social",
        "security",
        "form",
        "part",
        "section",
        "yes",
        "no",
        "page",
        "total",
        "amount",
        "item",
        "employee",
        "information",
        "application",
        "request",
        "verification",
        "secretary",
        "department",
        "office",
        "county",
        "country",
        "code",
        "the",
        "and",
        "of",
        "for",
        "to",
        "from",
        "usa",
        "united",
        "states",
        "required",
        "optional",
        "surname",
        "given",
    ]
)
_MAX_CAPTION_CHARS = 160
# A caption that spells out the name's order, "(First, Middle, Last, Suffix)": US forms print one
# over every name field, so a name that ends the line under it is that field's value even where
# another column's value comes first on the line ("Total Number of Borrowers: 2  Carmen Leannon").
_NAME_ORDER = re.compile(r"\((?i:first)[ \t]*,[ \t]*(?i:middle[ \t]*,[ \t]*)?(?i:last)")
# A form row of columns under a caption row that opens with the name's caption ("Full name  Date of
# birth" over "Xavier Shepherd  March 5, 1963"): the name opens the row, the next column's value (a
# figure or a month) follows it.
_NAME_COLUMN_CAPTION = re.compile(
    r"^[ \t]*(?i:full[ \t]*name|(?:applicant|customer|patient|employee|member|account[ \t]+holder)'?s?[ \t]+name)\b"
)
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_NAME_OPENS_ROW = re.compile(
    rf"(?m)^[ \t]*(?P<name>{_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_WORD}){{1,2}}?)(?=[ \t]+(?:\d|{_MONTHS}[ \t]+\d))"
)
_NAME_ENDS_LINE = re.compile(rf"(?m)[:\d][ \t]+(?P<name>{_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_WORD}){{1,2}})[ \t]*$")


class FormNameRecognizer(OwnRecognizer):
    """PERSON for a name line directly under a caption that asks for a name."""

    name: str
    SCORE = 0.65

    ENTITY = "PERSON"

    def find(self, text: str) -> list[RecognizerResult]:
        if not _CAPTION.search(text):
            return []
        results = []
        for match in _NAME_LINE.finditer(text):
            words = [w.lower() for w in re.findall(r"[A-Za-z'\-]+", match.group("name"))]
            if any(w in _FORM_WORDS for w in words):
                continue
            caption = _caption_above(text, match.start())
            if len(caption) > _MAX_CAPTION_CHARS or not _CAPTION.search(caption) or ":" in caption:
                continue  # "Name: X" captions are the labelled-name recognizer's
            results.append(self.result(match.start("name"), match.end("name"), self.SCORE))
        for match in _NAME_OPENS_ROW.finditer(text):
            words = [w.lower() for w in re.findall(r"[A-Za-z'\-]+", match.group("name"))]
            if any(w in _FORM_WORDS or re.fullmatch(_MONTHS, w, re.IGNORECASE) for w in words):
                continue
            if _NAME_COLUMN_CAPTION.match(line_above(text, match.start())):
                results.append(self.result(match.start("name"), match.end("name"), self.SCORE))
        if "(" in text and _NAME_ORDER.search(text):
            for match in _NAME_ENDS_LINE.finditer(text):
                words = [w.lower() for w in re.findall(r"[A-Za-z'\-]+", match.group("name"))]
                if not any(w in _FORM_WORDS for w in words) and _NAME_ORDER.search(line_above(text, match.start())):
                    results.append(self.result(match.start("name"), match.end("name"), self.SCORE))
        return results


def _caption_above(text: str, position: int) -> str:
    """The caption over a value line: the nearest non-blank line above, or, when that line is
    a parenthesised note ("(or other identification)"), the caption line
    the note continues: long captions wrap their notes onto a line of their own."""
    above = line_above(text, position)
    stripped = above.strip()
    if stripped.startswith("(") and stripped.endswith(")") and not _CAPTION.search(above):
        start = text.rfind(above, 0, position)
        return line_above(text, start) if start >= 0 else above
    return above


# A name column headed in family-name order: "(Last, First, Middle)", "Surname, First name".
# found by its ", First" (a literal-led scan, a thirtieth of the whole pattern's cost), then the word before
_TABLE_HEADER = re.compile(r",[ \t]*(?i:first)")
_FAMILY_FIRST = re.compile(r"(?i)(?:last|family|sur)[ \t]*(?:name)?[ \t]*$")
_TABLE_ROWS = 10
"""Lines under the header searched: a household table has a few rows after a line or two of
header continuation."""
_ROW = re.compile(
    rf"^[ \t]*(?P<name>{_WORD}[ \t]+{_WORD}(?:[ \t]+[A-Z]\.?(?=[ \t|]))?)"
    # the other columns follow on the row, with a figure among them (a birth date, an age)
    r"[ \t|]+[^\n]*\d"
)


class NameTableRecognizer(OwnRecognizer):
    """PERSON for the rows of a table whose name column is headed "(Last, First, Middle)": the
    household table of a benefits form, "Roe Dana | Spouse | F | 02/03/81". The first two
    capitalised words of a row that goes on with figures are the name, in the header's order."""

    name: str
    SCORE = 0.6

    ENTITY = "PERSON"

    def find(self, text: str) -> list[RecognizerResult]:
        header = next(
            (m for m in _TABLE_HEADER.finditer(text) if _FAMILY_FIRST.search(text, max(0, m.start() - 20), m.start())),
            None,
        )
        if header is None:
            return []
        results = []
        row_start = text.find("\n", header.end()) + 1
        for _ in range(_TABLE_ROWS):
            if row_start <= 0:
                break
            row_end = text.find("\n", row_start)
            line = text[row_start : row_end if row_end >= 0 else len(text)]
            match = _ROW.match(line)
            if match is not None:
                words = [w.lower() for w in re.findall(r"[A-Za-z'\-]+", match.group("name"))]
                if not any(w in _FORM_WORDS for w in words):
                    start = row_start + match.start("name")
                    results.append(self.result(start, row_start + match.end("name"), self.SCORE))
            row_start = row_end + 1
        return results
