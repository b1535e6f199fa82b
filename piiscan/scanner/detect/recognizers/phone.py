"""Phone numbers via python-phonenumbers, matched only inside digit runs that could be one.

Presidio's PhoneRecognizer runs the phonenumbers matcher over the whole text once per
region; on a page with many numbers (orders, dates, amounts) that took 75 ms a page.
Running it only on windows of seven or more digits keeps the same matcher and
validation at a fraction of the cost.
"""

from __future__ import annotations

import re
from datetime import datetime

import phonenumbers
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d \t().\-/]{5,24}\d(?![\w])")
_MIN_DIGITS, _MAX_DIGITS = 7, 15
_DATE_SHAPE = re.compile(r"\d{4}([-/.])\d\d\1\d\d|\d\d([-/.])\d\d\2\d{4}")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%m/%d/%Y")
_DATE_YEARS = range(1900, 2100)


def calendar_date(window: str) -> bool:
    """Whether a digit window is a date of 1900-2099 alone ("1971-08-13", "13.08.1971").

    Eight digits are a phone number's length, so every date on a page was a window and
    cost the matcher a pass per region (for nothing: the matcher reads none of these
    dates, in any of the formats here, as a number the date filter would let through;
    checked for every day of those years). Day and month are two digits, as printed."""
    if not _DATE_SHAPE.fullmatch(window):
        return False
    for form in _DATE_FORMATS:
        try:
            day = datetime.strptime(window, form)
        except ValueError:
            continue
        if day.year in _DATE_YEARS:
            return True
    return False


class WindowedPhoneRecognizer(PhoneRecognizer):
    """PHONE_NUMBER, with the matcher confined to plausible digit windows."""

    DEFAULT_SUPPORTED_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "IN", "CA")

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_language=supported_language,
            supported_regions=self.DEFAULT_SUPPORTED_REGIONS,
            name="WindowedPhoneRecognizer",
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for window in _CANDIDATE.finditer(text):
            digits = sum(ch.isdigit() for ch in window.group())
            if not _MIN_DIGITS <= digits <= _MAX_DIGITS + 4 or calendar_date(window.group()):
                continue
            start = window.start()
            piece = window.group()
            covered: set[int] = set()
            for region in self.supported_regions:
                for match in phonenumbers.PhoneNumberMatcher(piece, region, leniency=self.leniency or 0):
                    covered.update(range(match.start, match.end))
                    match.start += start
                    match.end += start
                    label = _region_label(match, region)
                    results.append(self._get_recognizer_result(match, text, label, nlp_artifacts))
                if sum(piece[i].isdigit() for i in covered) >= digits:
                    break  # every digit is explained; other regions would only relabel it
        deduped: list[RecognizerResult] = EntityRecognizer.remove_duplicates(results)
        return deduped

    def _get_recognizer_result(
        self, match: phonenumbers.PhoneNumberMatch, text: str, region: str, nlp_artifacts: NlpArtifacts | None
    ) -> RecognizerResult:
        result: RecognizerResult = super()._get_recognizer_result(match, text, region, nlp_artifacts)  # type: ignore[no-untyped-call]
        return result


def _region_label(match: phonenumbers.PhoneNumberMatch, region: str) -> str:
    """The region an explanation names: the number's own for an international number, as Presidio does.

    A number written with ``+`` carries its country, so "+44 20 7123 4567" is a GB number even
    when the US matcher found it; a national number belongs to the region whose matcher read it.
    """
    if match.raw_string.startswith("+"):
        own: str | None = phonenumbers.region_code_for_number(match.number)
        if own and own != phonenumbers.UNKNOWN_REGION:
            return own
    return region
