"""PERSON for a name whose two words also make up an e-mail address or user handle on the page.

CVs, business cards and letterheads print the holder's name in large capitals, often one word
per line ("ODA" above "BRENNVIK" read as two lines), where the NER sees no person; the same page
gives the holder's address or handle as ``first.last@…`` or ``first_last``. Two adjacent
capitalised words that spell that handle's two parts are the name it was made from.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

# first.last or first_last as an e-mail local part or a handle of its own, first-last only before
# an "@" (a hyphenated pair elsewhere is a word or a URL slug: "find-refund"); none inside a URL path
_HANDLE = re.compile(
    r"(?<![\w.@/\-])(?:([A-Za-z]{2,})[._]([A-Za-z]{2,})(?=@|(?![\w.\-@/]))|([A-Za-z]{2,})-([A-Za-z]{2,})(?=@))"
)
_GAP = r"[ \t]*(?:\n[ \t]*){0,3}"
"""Between the two words: a space, or up to two blank lines when each word has a line of its own."""
_MAX_HANDLES = 20
"""A page with more handles is a directory or a log, not one person's CV or card."""


class HandleNameRecognizer(OwnRecognizer):
    """PERSON: adjacent capitalised words that spell an e-mail or handle's two parts; score 0.7."""

    name: str
    ENTITY = "PERSON"
    SCORE = 0.7

    def find(self, text: str) -> list[RecognizerResult]:
        if not any(sep in text for sep in "._-"):
            return []
        handles = {((m[1] or m[3]).lower(), (m[2] or m[4]).lower()) for m in _HANDLE.finditer(text)}
        if not handles or len(handles) > _MAX_HANDLES:
            return []
        results = []
        seen: set[tuple[int, int]] = set()
        for first, last in handles:
            if first == last:
                continue
            for one, two in ((first, last), (last, first)):
                name = re.compile(rf"(?<![\w.@\-])(?i:{one}){_GAP}(?i:{two})(?![\w.@\-])")
                for match in name.finditer(text):
                    words = match.group().split()
                    if not all(word[0].isupper() for word in words) or (match.start(), match.end()) in seen:
                        continue  # "oda brennvik" in prose or a URL is not the printed name
                    seen.add((match.start(), match.end()))
                    results.append(self.result(match.start(), match.end(), self.SCORE))
        return results
