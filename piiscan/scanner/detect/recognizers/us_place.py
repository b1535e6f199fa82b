"""LOCATION for a US town written with its state in full ("Lansing, Michigan"), or on a line
of its own with its state code and ZIP ("YOUR CITY WA 99999-1234").

Certificates and forms print places of birth and residence this way, often two to a line
in columns ("Detroit, Michigan   Lansing, Michigan"), where spaCy's NER tags the towns and
states apart or runs both columns into one place. The state name is the evidence; the town
is the one to three capitalised words before its comma. A locality line whose street line was
misread, so that the street address recognizer has no street to extend, is still a place (an
OCR speck of one or two characters after it is allowed).
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

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


_STATE_CODES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
    "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
_CAPS_TOWN_WORD = r"[A-Z][A-Za-z'\-]+"
# A locality line of its own, with state code and ZIP: "YOUR CITY WA 99999-1234", "Redmond, WA 98052".
_LOCALITY_LINE = re.compile(
    rf"(?m)^[ \t]*((?:{_CAPS_TOWN_WORD}[ \t]){{0,2}}{_CAPS_TOWN_WORD},?[ \t]+(?:{_STATE_CODES}),?"
    rf"[ \t]+\d{{5}}(?:-\d{{4}})?)(?:[ \t]+[^\s\d]{{1,2}})?[ \t]*$"
)


class UsPlaceRecognizer(OwnRecognizer):
    """LOCATION "Town, State" with the state's full name; score 0.9, above the NER's 0.85."""

    name: str
    SCORE = 0.9

    ENTITY = "LOCATION"

    def find(self, text: str) -> list[RecognizerResult]:
        spans = [match.span() for match in _PLACE.finditer(text)] if "," in text else []
        spans += [match.span(1) for match in _LOCALITY_LINE.finditer(text)]
        return [self.result(start, end, self.SCORE) for start, end in spans]
