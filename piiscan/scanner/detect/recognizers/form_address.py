"""LOCATION from the boxed address fields of printed forms: "Street 3533 Rosa View Unit # 5",
"City Glendale State CA ZIP 91201", "Address: 12 Harbour View Telephone No.: ...".

Loan and benefit forms print each address part after a one-word field label, and the next
field's label follows on the same OCR line. Without a comma or a street suffix neither
spaCy nor the street address recognizer sees a place there; the pair of labels around the
value is the evidence, so the value is taken only between a label and the next one.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

_WORD = r"[A-Z][A-Za-z'\-]+"
_CITY = re.compile(
    rf"(?<![A-Za-z])City[ \t]*:?[ \t]+(?P<value>{_WORD}(?:[ \t]+{_WORD}){{0,2}}?)"
    r"[ \t]*,?[ \t]+State[ \t]*:?[ \t]+[A-Z]{2}(?![A-Za-z])"
)
_STREET = re.compile(
    rf"(?<![A-Za-z])Street[ \t]*:?[ \t]+(?P<value>\d{{1,6}}[ \t]+{_WORD}(?:[ \t]+{_WORD}){{0,3}}?)"
    r"[ \t]+(?:Unit|Apt\.?|Apartment|Suite|City)(?![A-Za-z])"
)

# "Address: 12 Harbour View Telephone No.: ..." - a house number, then words up to the next field's label
_ADDRESS = re.compile(
    rf"(?<![A-Za-z])Address[ \t]*:[ \t]*(?P<value>\d{{1,6}}[ \t]+{_WORD}(?:[ \t]+{_WORD}){{0,4}}?)"
    r"[ \t]+(?:Telephone|Phone|Tel|Fax|Mobile|Cell|City|State|Zip|Country|E-?mail)(?![a-z])"
)


class FormAddressRecognizer(OwnRecognizer):
    """LOCATION for a street or city value framed by a form's field labels."""

    name: str
    SCORE = 0.7

    ENTITY = "LOCATION"

    def find(self, text: str) -> list[RecognizerResult]:
        if "City" not in text and "Street" not in text and "Address" not in text:
            return []
        results = []
        for pattern in (_CITY, _STREET, _ADDRESS):
            for match in pattern.finditer(text):
                results.append(self.result(match.start("value"), match.end("value"), self.SCORE))
        return results
