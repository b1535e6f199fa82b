# ruff: noqa: RUF001  (Cyrillic letters that look Latin are what this file is about)
"""PERSON for a holder's name printed in a second, non-Latin script on an identity document.

Identity documents of countries that write in another script print the holder's name twice: an
Indian Aadhaar card the Devanagari name on the line above the Latin one, a Hong Kong identity card
the Chinese name above 'SURNAME, Given Names', a Ukrainian passport every field as
``CYRILLIC/LATIN`` under a bilingual caption. The OCR reads these scripts only on pages whose
Latin words name such a document (:mod:`piiscan.scanner.ocr_script`); the same hint gates both
rules here, so ordinary pages never get a name from them.

* :func:`paired_names`: a line of words in a non-Latin script next to a line holding only a name
  piiscan found, with as many words (Chinese: as many characters as the Latin name has words),
  read with confidence. It runs after the analyzer, on its PERSON findings.
  A found Latin name that is the Latin half of a ``CYRILLIC/LATIN`` word is widened to the word.
* :class:`BilingualNameRecognizer`: a ``CYRILLIC/LATIN`` word under a surname or given-names
  caption (in either language).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer
from piiscan.scanner.ocr_script import script_hint

_SCRIPT_WORDS = {
    "devanagari": re.compile(r"[\u0900-\u0963\u0971-\u097f]+(?:[ \t]+[\u0900-\u0963\u0971-\u097f]+){0,4}"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,4}"),
}
"""A run of name words in the script at the start of a line (Devanagari: letters and vowel signs,
no digits or danda; Chinese: two to four characters, a name's length)."""
_LATIN_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'.-]*")
_NAME_LINE = re.compile(r"^[ \t]*[A-Z][A-Za-z'-]+,?(?:[ \t]+[A-Z][A-Za-z'-]*){1,3}[ \t]*$")
"""A line of two to four capitalised words, a comma after the first (a surname printed first)."""
MIN_CONF = 60.0
"""Mean OCR confidence the paired name's words need: a misread name is not reported."""


def _line_at(text: str, position: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end < 0 else end


def _neighbours(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The nearest non-blank lines above and below the line ``start:end``."""
    out = []
    position = start - 1
    while position > 0:
        line = _line_at(text, position - 1)
        if text[line[0] : line[1]].strip():
            out.append(line)
            break
        position = line[0] - 1
    position = end + 1
    while position < len(text):
        line = _line_at(text, position)
        if text[line[0] : line[1]].strip():
            out.append(line)
            break
        position = line[1] + 1
    return out


def paired_names(
    text: str, persons: Sequence[tuple[int, int]], conf: Callable[[int, int], float | None] | None = None
) -> list[tuple[int, int]]:
    """Spans of non-Latin names printed next to the Latin names ``persons`` (spans in ``text``).

    ``conf(start, end)`` gives the mean OCR confidence of the words in a span (None: unknown)."""
    script = script_hint(text)
    if script == "cyrillic":
        return _slash_halves(text, persons)
    pattern = _SCRIPT_WORDS.get(script or "")
    if pattern is None:
        return []
    found: list[tuple[int, int]] = []
    for start, end in persons:
        line_start, line_end = _line_at(text, start)
        rest = text[line_start:start] + text[end:line_end]
        if not any(ch.isalpha() for ch in rest):
            count = len(_LATIN_NAME_WORD.findall(text[start:end]))
        elif _NAME_LINE.match(text[line_start:line_end]):
            count = len(_LATIN_NAME_WORD.findall(text[line_start:line_end]))  # 'SURNAME, Given Names'
        else:
            continue  # the name is not a line of its own
        for above_start, above_end in _neighbours(text, line_start, line_end):
            line = text[above_start:above_end]
            match = pattern.match(line, len(line) - len(line.lstrip()))
            if match is None:
                continue
            size = len(match.group()) if script == "han" else len(match.group().split())
            span = (above_start + match.start(), above_start + match.end())
            if size != count or span in found:
                continue
            read = conf(*span) if conf is not None else None
            if read is not None and read < MIN_CONF:
                continue
            found.append(span)
    return found


_CYRILLIC_HALF = re.compile(r"(?<![\w/])[\u0400-\u04ff][\u0400-\u04ff'’-]+/$")


def _slash_halves(text: str, persons: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """A found Latin name that is the second half of a ``CYRILLIC/LATIN`` word, widened to the word."""
    found = []
    for start, end in persons:
        if end < len(text) and (text[end].isalnum() or text[end] == "/"):
            continue
        half = _CYRILLIC_HALF.search(text, max(0, start - 40), start)
        if half is not None and half.end() == start:
            found.append((half.start(), end))
    return found


_CAPTION = re.compile(r"(?i)(?<!\w)(?:прізвище|ім['’]я|surname|given\s+names?)(?!\w)")
_PAIR = re.compile(r"(?<![\w/])[\u0400-\u04ff][\u0400-\u04ff'’-]+/[A-Z][A-Z'-]+(?![\w/])")
_CAPTION_LINES = 2
"""Lines above a value its caption may be on (OCR makes a line of specks between them)."""


class BilingualNameRecognizer(OwnRecognizer):
    """PERSON: a ``CYRILLIC/LATIN`` word under a surname or given-names caption; score 0.8."""

    name: str
    ENTITY = "PERSON"
    SCORE = 0.8

    def find(self, text: str) -> list[RecognizerResult]:
        if "/" not in text or script_hint(text) != "cyrillic":
            return []
        results = []
        for match in _PAIR.finditer(text):
            line_start, _ = _line_at(text, match.start())
            position, above = line_start, 0
            while above < _CAPTION_LINES and position > 0:
                start, end = _line_at(text, position - 1)
                position = start
                if not text[start:end].strip():
                    continue
                above += 1
                if _CAPTION.search(text[start:end]):
                    results.append(self.result(match.start(), match.end(), self.SCORE))
                    break
        return results
