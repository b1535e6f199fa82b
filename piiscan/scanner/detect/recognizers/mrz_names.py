"""PERSON for the holder's names printed on a passport page, taken from its MRZ names line.

The first MRZ line of a passport (``P<`` + issuing state + ``SURNAME<<GIVEN<NAMES<<<…``) carries
no check digit, so it survives OCR damage that makes the second line fail its checks; the MRZ
recognizer, which wants both lines valid, then reports nothing. The names line alone still says
whose passport it is, and the visual zone prints the same names as bare capitals on lines of
their own, where the NER sees no person. A word is reported where it is printed outside the MRZ.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

# document code P (passport) + type or filler, issuing state (three letters or fillers, as OCR
# reads them), the names, then the filler run that pads every names line (OCR reads a filler
# inside that run as K: the run starts with '<' and holds only '<' and K)
_NAMES_LINE = re.compile(r"(?m)^[ \t]*P[A-Z<][A-Z<]{3}(?P<names>[A-Z]+(?:<{1,2}[A-Z]+)*)<[<K]{7,}[ \t]*$")
_FILLER_LOOKALIKES = "KX"
"""Letters OCR reads for the first filler after a name ('HOLLIEX<<<'): dropped when only the
shorter word is printed on the page."""
_MIN_LINE, _MAX_LINE = 40, 48
"""A TD3 names line is 44 characters; OCR adds or drops a few fillers."""
_MIN_WORD = 2


class MrzNameRecognizer(OwnRecognizer):
    """PERSON: a passport MRZ names-line word printed again outside the MRZ; score 0.75."""

    name: str
    ENTITY = "PERSON"
    SCORE = 0.75

    def find(self, text: str) -> list[RecognizerResult]:
        if "<<<" not in text:
            return []
        results = []
        for line in _NAMES_LINE.finditer(text):
            if not _MIN_LINE <= len(line.group().strip()) <= _MAX_LINE:
                continue
            words = {w for w in re.split("<+", line["names"]) if len(w) >= _MIN_WORD}
            for word in words:
                found = self._printed(text, word, line)
                if not found and word[-1] in _FILLER_LOOKALIKES and len(word) > _MIN_WORD + 1:
                    found = self._printed(text, word[:-1], line)
                results.extend(found)
        return results

    def _printed(self, text: str, word: str, line: re.Match[str]) -> list[RecognizerResult]:
        """``word`` where the page prints it in capitals outside the names line."""
        printed = re.compile(rf"(?<![\w<]){word}(?![\w<])", re.IGNORECASE)
        return [
            self.result(match.start(), match.end(), self.SCORE)
            for match in printed.finditer(text)
            if match.group()[0].isupper() and not line.start() <= match.start() < line.end()
        ]


# A names line as OCR gives it: optional document code and issuing state (TD2/TD3 line 1), the
# names, then the filler run, in which OCR reads some fillers as K.
_ANY_NAMES_LINE = re.compile(
    r"(?m)^(?P<indent>[ \t]*)(?P<header>[PIACV][A-Z<][A-Z<]{3})?(?P<names>[A-Z]+(?:<{1,2}[A-Z]+)*)"
    r"(?P<tail><{2,}[<K]*)[ \t]*$"
)
_NAMES_LINE_WIDTH = range(26, 49)
"""TD1's names line is 30 characters, TD3's 44; OCR adds or drops a few fillers."""
_FILLER_AS_LETTER = "XKSCER"
"""Letters OCR reads for the filler that ends a name ('HOLLIEX<<<', 'ELENAS<<<')."""


def repair_names_lines(text: str) -> str:
    """MRZ names lines with the fillers OCR read as letters put back, keeping every offset.

    K inside the closing filler run is never a name. One or two closing letters that OCR may read
    for fillers are turned back only where the page prints the name without them and nowhere with
    them: the printed name in the visual zone is the evidence, as for :class:`MrzNameRecognizer`.
    """
    if "<<" not in text:
        return text

    def repair(line: re.Match[str]) -> str:
        if len(line.group().strip()) not in _NAMES_LINE_WIDTH:
            return line.group()
        names = re.sub(
            r"[A-Z]+(?=<)|[A-Z]+$",
            lambda word: _without_filler_letter(text, word.group(), line),
            line["names"],
        )
        rest = line.group()[line.end("tail") - line.start() :]
        return line["indent"] + (line["header"] or "") + names + line["tail"].replace("K", "<") + rest

    return _ANY_NAMES_LINE.sub(repair, text)


def _without_filler_letter(text: str, word: str, line: re.Match[str]) -> str:
    """``word`` with one or two closing filler look-alikes turned to '<' ('IVANKX' -> 'IVAN<<')."""

    def printed(value: str) -> bool:
        pattern = re.compile(rf"(?<![\w<]){value}(?![\w<])", re.IGNORECASE)
        return any(not line.start() <= m.start() < line.end() for m in pattern.finditer(text))

    for cut in (1, 2):
        shorter = word[:-cut]
        if len(shorter) <= _MIN_WORD or any(ch not in _FILLER_AS_LETTER for ch in word[-cut:]):
            break
        if printed(shorter) and not printed(word):
            return shorter + "<" * cut
    return word
