"""Identity numbers: national formats with a check character, and numbers printed after an ID label.

Identity documents print their numbers in many national formats, most without a checksum anyone
can verify. Two kinds of evidence are strong enough to report one:

- a documented format whose check character is valid: the Hong Kong identity card number
  (``A123456(3)``: letters and digits weighted 9..2, modulus 11). The Indian Aadhaar (Verhoeff),
  PAN and the Italian codice fiscale (check letter) are Presidio's own recognizers, loaded by the
  engine;
- on a Hong Kong identity card, the holder's Chinese name in Chinese commercial code (one group of
  four digits per character, printed on a line of its own under the name): as telling as the name;
- the document number and the personal number of a valid MRZ (check digits verified), where the
  page prints them again in its own fields (the passport number beside "Passport No", the national
  identity number in the holder's details), else in the MRZ;
- a field label that names an identity number ("Passport No.", "Identity No.", "Personal No.",
  "USCIS#", "Enrolment No.") with a value of digits and capitals on the same line or under it, as
  forms and cards lay them out. The value alone would be any order number; the label is what says
  whose number it is. Generic labels ("Document No.", "Member ID", "Control number") count only in
  the text of identity, insurance or tax papers: an invoice has a document number too.
"""

from __future__ import annotations

import re
import string

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer
from piiscan.scanner.detect.recognizers.mrz import find_mrz_layouts, find_mrzs

HK_ID = "HK_ID_CARD"
ID_NUMBER = "ID_NUMBER"

_HK_VALUES = {letter: 10 + index for index, letter in enumerate(string.ascii_uppercase)}
_HK_RE = re.compile(r"(?<![A-Za-z0-9])(?P<letters>[A-Z]{1,2})(?P<digits>\d{6})[ \t]?(?P<open>\(?)(?P<check>[0-9A])\)?")
_HK_CONTEXT = re.compile(r"(?i)\bhkid\b|hong ?kong|identity card|香港")


def hkid_check(letters: str, digits: str) -> str:
    """The check character of a Hong Kong identity card number (``0``-``9`` or ``A``).

    One-letter numbers are padded with a space worth 36; weights run 9..2 over the eight
    characters; the check is ``11 - sum mod 11``, 10 written ``A`` and 11 written ``0``.
    """
    values = [36] * (2 - len(letters)) + [_HK_VALUES[ch] for ch in letters] + [int(d) for d in digits]
    total = sum(value * weight for value, weight in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


class HkIdRecognizer(OwnRecognizer):
    """Hong Kong identity card numbers with a valid check character.

    Printed with the check in brackets (``A123456(3)``) the format is distinctive; written
    without them it is reported only when the text speaks of an identity card.
    """

    name: str
    ENTITY = HK_ID
    SCORE = 0.85

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        context: bool | None = None
        for match in _HK_RE.finditer(text):
            end = match.end()
            if end < len(text) and text[end].isalnum():
                continue
            if hkid_check(match["letters"], match["digits"]) != match["check"]:
                continue
            if not match["open"]:
                if context is None:
                    context = bool(_HK_CONTEXT.search(text))
                if not context:
                    continue
            results.append(self.result(match.start(), end, self.SCORE))
        return results


_HK_CARD = re.compile(r"(?i)hong[ \t]*kong[^\n]*identity[ \t]*card")
_HK_NAME_CODE = re.compile(r"(?m)^[ \t]*(?P<code>\d{4}(?:[ \t]+\d{4}){1,4})[ \t]*$")


class HkNameCodeRecognizer(OwnRecognizer):
    """ID_NUMBER for the Chinese commercial code of the holder's name on a Hong Kong identity
    card: a line of two to five four-digit groups, only in text headed as such a card."""

    name: str
    ENTITY = ID_NUMBER
    SCORE = 0.6

    def find(self, text: str) -> list[RecognizerResult]:
        codes = list(_HK_NAME_CODE.finditer(text))
        if not codes or not _HK_CARD.search(text):
            return []
        return [self.result(m.start("code"), m.end("code"), self.SCORE) for m in codes]


_ID_LABEL = (
    r"(?:passport|pasport|passeport|pasaporte|reisepass)[ \t]*(?:no\b\.?|n[o°º]\.?|number\b|num\b\.?|#)"
    r"|(?:national[ \t]+)?(?:identity|identification|id)(?:[ \t]+card)?[ \t]*(?:no\b\.?|number\b|#)"
    r"|personal[ \t]*(?:no\b\.?|number\b|code\b)"
    r"|uscis[ \t]*(?:#|no\b\.?|number\b)"
    r"|enrol(?:l)?ment[ \t]*(?:no\b\.?|number\b|#)"
    r"|aadhaa?r[ \t]*(?:no\b\.?|number\b|#)"
    # generic: an invoice has a document number too, so these count only on identity papers
    r"|(?P<generic>document[ \t]*(?:no\b\.?|number\b|#)"
    r"|member[ \t]*(?:id\b|no\b\.?|number\b|#)"
    # a health plan's group, printed beside the member's number
    r"|(?:rx[ \t]*)?group[ \t]*(?:#|no\b\.?|number\b)"
    r"|control[ \t]*(?:no\b\.?|number\b))"
)
_IDENTITY_PAPER = re.compile(
    r"(?i)passport|identity|identit[àa]|residence permit|driv(?:er|ing)'?s? licen[cs]e|social security|"
    r"health|insurance|medicare|medicaid|wage and tax|\bw-?2\b"
)
"""Words of the papers whose generic number labels name a person's number: identity and licence
cards, insurance cards, tax and social security forms."""
_VALUE = r"[A-Z0-9][A-Z0-9\-/]*(?:\([0-9A-Z]\))?(?:[ ][0-9][A-Z0-9\-/]*)*"
_LABELLED_RE = re.compile(
    rf"(?<![A-Za-z])(?:{_ID_LABEL})[ \t]*[:.#\-]*[ \t]*"
    # the value on the label's line, or first on a line under it (a card's field under its label,
    # maybe after the label's other language: "Passport No. / No. Pasport")
    # (a same-line value has a digit: "Identification # Suffix" is the header's next column)
    rf"(?:(?P<same>(?=[A-Z0-9\-/() ]*\d){_VALUE})"
    rf"|[^\n]{{0,40}}?(?:[ \t]*\n){{1,3}}[ \t]*(?P<below>{_VALUE}))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}")
_MIN_DIGITS = 4
_PLAN_CODE = re.compile(
    r"(?<![A-Za-z])(?i:(?:rx[ \t]*)?group[ \t]*(?:#|no\b\.?|number\b))[ \t]*[:.#\-]*[ \t]*"
    r"(?P<value>[A-Z]{5,12})(?![A-Za-z0-9])"
)
"""A plan group written in capitals alone ("Rx Group # BCAAXYZ"), on the label's own line: no digit
to tell it from a word, so only on identity and insurance papers, like the generic labels."""
_MAX_LENGTH = 32


def plausible_id(value: str) -> bool:
    """Enough digits to be a number, capitals only (a word is not a value), and not a date."""
    if value.upper() != value or sum(ch.isdigit() for ch in value) < _MIN_DIGITS or len(value) > _MAX_LENGTH:
        return False
    return not _DATE.fullmatch(value)


class LabelledIdRecognizer(OwnRecognizer):
    """ID_NUMBER: the value printed after an identity-number label on the same line or under it."""

    name: str
    ENTITY = ID_NUMBER
    SCORE = 0.6

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        paper: bool | None = None
        for match in _LABELLED_RE.finditer(text):
            group = "same" if match["same"] is not None else "below"
            value = match[group]
            if not plausible_id(value):
                continue
            if match["generic"] is not None:
                if paper is None:
                    paper = bool(_IDENTITY_PAPER.search(text))
                if not paper:
                    continue
            results.append(self.result(match.start(group), match.end(group), self.SCORE))
        if "roup" in text and (paper if paper is not None else _IDENTITY_PAPER.search(text)):
            results.extend(self.result(m.start("value"), m.end("value"), self.SCORE) for m in _PLAN_CODE.finditer(text))
        return results


# 6 letters of the names, year, month letter, day (+40 for women), place code, check letter; OCR
# and omocodia (a digit replaced by a letter when two codes collide) are not followed here
_FISCAL_CODE = r"[A-Z]{6}\d{2}[ABCDEHLMPRST]\d{2}[A-Z]\d{3}[A-Z]"
_FISCAL_RE = re.compile(
    rf"(?i:codice[ \t]+fiscale|cod\.?[ \t]*fisc\.?|fiscal[ \t]+code|tax[ \t]+code)"
    rf"[^\n]{{0,60}}(?:\n[^\n]{{0,60}}){{0,3}}?(?<![A-Za-z0-9])(?P<value>{_FISCAL_CODE})(?![A-Za-z0-9])"
)


class LabelledFiscalCodeRecognizer(OwnRecognizer):
    """IT_FISCAL_CODE: a value in the Italian fiscal code's layout in its labelled field, check letter
    or not.

    Presidio's recognizer wants the check letter right, which keeps look-alikes in prose out; in
    the field labelled "codice fiscale" the value is the holder's code as printed, and one letter
    OCR misread (or a specimen's made-up code) fails the check without making it anything else.
    Codes whose check holds are Presidio's; this adds the ones that fail it.
    """

    name: str
    ENTITY = "IT_FISCAL_CODE"
    SCORE = 0.6

    def find(self, text: str) -> list[RecognizerResult]:
        if not re.search(r"(?i)fisc|tax[ \t]+code", text):
            return []
        return [self.result(m.start("value"), m.end("value"), self.SCORE) for m in _FISCAL_RE.finditer(text)]


# A number alone on its line, then within three lines the caption that a certificate prints under
# its field ("24245482" over "STATE FILE NO"): vital records put the value above its caption.
_CAPTION_BELOW_RE = re.compile(
    r"(?m)^[ \t]*(?P<value>\d{6,12})[ \t]*\n(?:[^\n]{0,12}\n){0,3}?[ \t]*"
    r"(?:STATE[ \t]+)?(?:FILE|CERTIFICATE|RECORD|REGISTRATION|LICEN[CS]E)[ \t]+(?:NO\b\.?|NUMBER\b)[^\n]{0,20}$"
)


class CaptionBelowIdRecognizer(OwnRecognizer):
    """ID_NUMBER: a certificate's file or record number printed above its capital-letter caption.

    The caption under the value is the label; the lines between may hold only OCR debris (a dozen
    characters), so a number from another field is not taken for it."""

    name: str
    ENTITY = ID_NUMBER
    SCORE = 0.6

    def find(self, text: str) -> list[RecognizerResult]:
        if " NO" not in text and " NUMBER" not in text:
            return []
        return [self.result(m.start("value"), m.end("value"), self.SCORE) for m in _CAPTION_BELOW_RE.finditer(text)]


_SSN_LABEL = r"(?:social[ \t]+security|soc\.?[ \t]*sec\.?)[ \t]*(?:no\b\.?|number\b|#)|ssn\b"
_SSN_RE = re.compile(
    rf"(?<![A-Za-z])(?:{_SSN_LABEL})[ \t]*[:.#\-]*[ \t]*"
    # on the label's line, or first on the next line (a form's box: label, other columns, value below)
    r"(?:|[^\n]{0,60}\n[ \t]*)"
    r"(?P<value>\d{3}[ \t]?[\-.][ \t]?\d{2}[ \t]?[\-.][ \t]?\d{4})(?![0-9])"
    # the card itself: the number printed above its fixed wording "This number has been established for"
    r"|(?<![0-9])(?P<card>\d{3}[ \t]?-[ \t]?\d{2}[ \t]?-[ \t]?\d{4})[ \t]*\n[ \t]*(?:\n[ \t]*)?"
    r"this[ \t]+number[ \t]+has[ \t]+been[ \t]+established",
    re.IGNORECASE,
)

# A table whose last column is headed "Social Security (Number)": the rows below end with the values.
_SSN_COLUMN_HEADER = re.compile(r"(?im)social[ \t]+security(?:[ \t]+(?:number|no\b\.?|#))?[ \t]*$")
_SSN_ROW_END = re.compile(r"(?m)(?<![0-9\-.])(\d{3}[ \t]?[\-.][ \t]?\d{2}[ \t]?[\-.][ \t]?\d{4})[ \t|]*$")
_SSN_TABLE_ROWS = 8
"""Lines under the header searched: a household table has a few rows, after a line or two of
header continuation ("Number")."""


class LabelledSsnRecognizer(OwnRecognizer):
    """US_SSN: a value in SSN layout (``ddd-dd-dddd``) in a Social Security number field, at the end
    of the rows of a table whose last column is headed "Social Security", or above the card's own
    wording ("This number has been established for").

    Presidio's pattern rejects numbers the SSA never issues (area 000, the advertising range,
    published sample numbers) and mixed separators, which is right for free text; in the field of
    a form that asks for the holder's SSN, the value is the holder's number as given (often a
    placeholder on a specimen, which is still what the field holds), so the label decides.
    """

    name: str
    ENTITY = "US_SSN"
    SCORE = 0.6

    def find(self, text: str) -> list[RecognizerResult]:
        spans = set()
        for match in _SSN_RE.finditer(text):
            group = "value" if match["value"] is not None else "card"
            spans.add(match.span(group))
        for header in _SSN_COLUMN_HEADER.finditer(text):
            end = header.end()
            for _ in range(_SSN_TABLE_ROWS):
                end = text.find("\n", end + 1)
                if end < 0:
                    end = len(text)
                    break
            spans.update(m.span(1) for m in _SSN_ROW_END.finditer(text, header.end(), end))
        return [self.result(start, stop, self.SCORE) for start, stop in sorted(spans)]


_EIN_RE = re.compile(
    r"(?:(?<![A-Za-z])EIN(?![A-Za-z])|(?i:employer[ \t]+identification[ \t]+(?:number|no\b)))"
    # a tax form's box: the label, maybe other columns and a line of other boxes, then the value
    r"[^\n]{0,80}?(?:\n[^\n]{0,80}?){0,3}?"
    r"(?<![\d\-])(?P<value>\d{2}[ \t]?-[ \t]?\d{7})(?![\d\-])",
)


class EinRecognizer(OwnRecognizer):
    """ID_NUMBER: a US employer identification number (``12-3456789``) near its "EIN" label.

    The hyphenated two-and-seven digit layout is the IRS's own; the label is required because a
    bare ``NN-NNNNNNN`` is also a reference or part number. Wage statements (W-2) print it in a
    box whose value sits a line or two under the label, beside other boxes.
    """

    name: str
    ENTITY = ID_NUMBER
    SCORE = 0.6

    def find(self, text: str) -> list[RecognizerResult]:
        upper = text.upper()
        if "EIN" not in upper and "IDENTIFICATION" not in upper:
            return []
        return [self.result(m.start("value"), m.end("value"), self.SCORE) for m in _EIN_RE.finditer(text)]


_MIN_MRZ_NUMBER = 6
"""Shorter MRZ fields (a two-digit sequence) would match any small number on the page."""


class MrzNumberRecognizer(OwnRecognizer):
    """ID_NUMBER: a valid MRZ's document or personal number, where the page prints it outside the MRZ,
    else inside the MRZ.

    The MRZ's check digits vouch for the value; the printed copy is the number a reader sees, and
    the one to mask. Case is ignored (OCR reads a printed capital as lower case). Where the page
    holds no printed copy the number is reported once, inside the MRZ: the document number is then
    among the report's kinds even though the MRZ already covers its characters. A zone with an
    MRZ's layout whose checks fail gives its leading field at a lower score: nothing vouches for it.
    """

    name: str
    ENTITY = ID_NUMBER
    SCORE = 0.85
    SCORE_LAYOUT_ONLY = 0.5

    def find(self, text: str) -> list[RecognizerResult]:
        if "<" not in text:
            return []
        mrzs = find_mrzs(text)
        zones: list[tuple[tuple[str, ...], int, int, float]] = [
            ((data.document_number, *data.optional_data), start, end, self.SCORE) for data, start, end in mrzs
        ]
        layouts = find_mrz_layouts(text, [(start, end) for _, start, end in mrzs])
        zones += [((z.document_number,), z.start, z.end, self.SCORE_LAYOUT_ONLY) for z in layouts]
        results: list[RecognizerResult] = []
        for values, mrz_start, mrz_end, score in zones:
            for value in values:
                if len(value) < _MIN_MRZ_NUMBER or sum(ch.isdigit() for ch in value) < _MIN_DIGITS:
                    continue
                printed = re.compile(rf"(?<![A-Za-z0-9<]){re.escape(value)}(?![A-Za-z0-9<])", re.IGNORECASE)
                spans = [
                    (m.start(), m.end())
                    for m in printed.finditer(text)
                    if not any(start <= m.start() < end for _, start, end, _ in zones)
                ]
                if not spans:
                    # printed nowhere else (or OCR missed it): the number in the MRZ itself, once
                    at = text.find(value, mrz_start, mrz_end)
                    spans = [(at, at + len(value))] if at >= 0 else []
                results.extend(self.result(a, b, score) for a, b in spans)
        return results
