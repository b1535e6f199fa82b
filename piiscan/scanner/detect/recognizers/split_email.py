"""EMAIL_ADDRESS that OCR split after a dot: "bailey. michael84@example.org".

Tesseract often reads the dot inside a local part as the end of a word and puts a space
after it; Presidio's e-mail pattern then finds only the part after the space, which is
not the address. A field label or a line start before the first part keeps prose
("write to me. john@…") out.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

_PATTERN = re.compile(
    r"(?:^|(?<=:)|(?<=:[ \t])|(?<=\t))[ \t]*"
    r"(?P<email>[a-z0-9][a-z0-9_%+-]*(?:\.[a-z0-9_%+-]+)*\.[ \t][a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*"
    r"@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b",
    re.MULTILINE,
)


class SplitEmailRecognizer(OwnRecognizer):
    """The whole address, space included, at 0.7: the reading error is likely, not certain."""

    name: str
    SCORE = 0.7

    ENTITY = "EMAIL_ADDRESS"

    def find(self, text: str) -> list[RecognizerResult]:
        if "@" not in text:
            return []
        return [self.result(match.start("email"), match.end("email"), self.SCORE) for match in _PATTERN.finditer(text)]
