"""LOCATION printed under an identity document's place label: "Place of birth / TOLEDO",
"GEMEINDE / MUNICIPALITY / HALLSTATT", "RESIDENZA / RESIDENCE / Via Dei Mille 7, Cremona (CR)".

ID cards and passports print a holder's birthplace and residence in capitals on the line below a
(often bilingual) field label. A town named alone in capitals is nothing spaCy's NER recognises,
and a foreign street layout nothing the street address recognizer knows; the label is the
evidence, as it is for names under name labels (:mod:`.labelled_name`).
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer
from piiscan.scanner.detect.recognizers.mrz import find_mrz_layouts, find_mrzs

_LABELS = (
    r"place[ \t]+of[ \t]+birth|place[ \t]+and[ \t]+date[ \t]+of[ \t]+birth|birth[ \t]*place|"
    r"town[ \t]+of[ \t]+birth|city[ \t]+of[ \t]+birth|municipality|place[ \t]+of[ \t]+residence|residence|"
    r"domicile|lieu[ \t]+de[ \t]+naissance|geburtsort|wohnort|luogo[ \t]+di[ \t]+nascita|"
    r"lugar[ \t]+de[ \t]+nacimiento|residenza|domicilio"
)
# The label ends its line, alone or as the second half of a bilingual label ("Tempat Lahir / Place of
# Birth"); the value is the next line with text (one blank line allowed), up to a "/ date" after it.
_PATTERN = re.compile(
    rf"(?im)(?:^|/)[ \t]*(?:{_LABELS})[ \t]*:?[ \t]*\n(?:[ \t]*\n)?[ \t]*"
    r"(?P<value>(?-i:[A-Z\d\u00c0-\u00de])[^\n/:@]{2,60}?)[ \t]*(?:/[^\n]*)?$"
)
_LABEL_WORDS = frozenset(
    {"place", "of", "birth", "and", "date", "residence", "municipality", "address", "sex", "height"}
    | {"nationality", "name", "surname", "given", "names", "signature", "expiry", "issue", "issuing", "authority"}
)
_HAS_PLACE_WORD = re.compile(r"[A-Za-z\u00c0-\u00ff]{3,}")
# A passport's data page prints the sex and the place of birth side by side (ICAO 9303's visual
# zone, fields "Sex" and "Place of birth"): when OCR loses the small labels, "M  ENFIELD" is left.
_SEX_AND_PLACE = re.compile(r"(?m)^[ \t]*[MFX][ \t]+(?P<value>[A-Z][A-Z'\-]{2,}(?:[ \t][A-Z][A-Z'\-]+){0,2})[ \t]*$")


class LabelledPlaceRecognizer(OwnRecognizer):
    """LOCATION on the line under a birthplace or residence label (score 0.7), or beside the sex on
    a passport page (0.5)."""

    name: str
    SCORE = 0.7
    SCORE_BESIDE_SEX = 0.5

    ENTITY = "LOCATION"

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        for match in _PATTERN.finditer(text):
            value = match.group("value")
            words = [w.strip(".,;()").lower() for w in value.split()]
            if not _HAS_PLACE_WORD.search(value) or all(w in _LABEL_WORDS for w in words):
                continue  # a date, or the next label (the English half printed below the national one)
            results.append(self.result(match.start("value"), match.end("value"), self.SCORE))
        if "<<" in text:
            results.extend(self._beside_sex(text))
        return results

    def _beside_sex(self, text: str) -> list[RecognizerResult]:
        """The place of birth after the sex on a passport page, which its MRZ proves one."""
        places = list(_SEX_AND_PLACE.finditer(text))
        if not places or not (find_mrzs(text) or find_mrz_layouts(text, valid=())):
            return []
        return [
            self.result(m.start("value"), m.end("value"), self.SCORE_BESIDE_SEX)
            for m in places
            if not {w.lower() for w in m["value"].split()} & _LABEL_WORDS
        ]
