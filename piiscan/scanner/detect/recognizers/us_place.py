"""LOCATION for a US town written with its state in full: "Lansing, Michigan".

Certificates and forms print places of birth and residence this way, often two to a line
in columns ("Detroit, Michigan   Lansing, Michigan"), where spaCy's NER tags the towns and
states apart or runs both columns into one place. The state name is the evidence; the town
is the one to three capitalised words before its comma.
"""

from __future__ import annotations

import re

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

_STATE = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|"
    "Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|"
    "Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
    "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|"
    "South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming"
)
"""The fifty states in full (no state's name starts another's, so the order does not matter)."""
_NOT_TOWN = r"(?:The|A|An|In|At|Of|From|To|And|Born|Near|Dear)[ \t]"
_TOWN_WORD = rf"(?!{_NOT_TOWN})[A-Z][a-z'\-]+"
_PLACE = re.compile(rf"(?<![\w,])(?:{_TOWN_WORD}[ \t](?={_TOWN_WORD})){{0,2}}{_TOWN_WORD},[ \t]*(?:{_STATE})(?![\w])")


class UsPlaceRecognizer(EntityRecognizer):
    """LOCATION "Town, State" with the state's full name; score 0.9, above the NER's 0.85."""

    name: str
    SCORE = 0.9

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=["LOCATION"], supported_language=supported_language, name="UsPlaceRecognizer"
        )

    def load(self) -> None:
        """Nothing to load: the pattern is compiled at import."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if "LOCATION" not in entities or "," not in text:
            return []
        return [
            RecognizerResult(
                entity_type="LOCATION",
                start=match.start(),
                end=match.end(),
                score=self.SCORE,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for match in _PLACE.finditer(text)
        ]
