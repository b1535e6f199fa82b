"""PERSON from form labels: "Surname: PATEL", "Given names: THOMAS", "Nachname: Köhler", "S/O Ravi Rao",
a colon-less row "Last Name  Doe", a letter's addressee under a "To," line, the owner named before
"'s date of birth", and a capitals name line over a "DOB:" line.

Identity documents and forms print names in capitals under a field label, where a
statistical NER trained on prose sees no person at all. The label is the evidence.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

_LABELS = (
    r"surname|last\s+name|family\s+name|given\s+names?|first\s+names?|full\s*name|name|"
    r"holder|account\s+holder|cardholder|card\s+holder|patient|employee|applicant|tenant|landlord|"
    r"nachname|vorname|vornamen|familienname|name\s+des\s+inhabers|kontoinhaber|"
    r"nom|pr[ée]noms?|nom\s+de\s+famille|titulaire|"
    r"apellidos?|nombres?|titular"
)
_NAME_WORD = "[A-Z\u00c0-\u00d6\u00d8-\u00de][A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff'\u2019\\-]+"
_PARTICLE = r"(?:de|del|la|le|van|von|der|da|di|du|bin|al)"
# The next field's label ends a name: "First Name: CARLOS Last Name: SALAZAR".
_NEXT_LABEL = r"(?:last|first|middle|given|surname|name|date|sex|dob)(?![\w])"
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?!{_NEXT_LABEL})(?:{_PARTICLE}[ \t]+)?{_NAME_WORD}){{0,3}}"
# Label, optional "/ translation" part, separator (colon, or a line break under the label), name.
_PATTERN = re.compile(
    rf"(?<![\w])(?<!to )(?:{_LABELS})(?:[ \t]*/[ \t]*[^\n:]{{1,30}})?[ \t]*(?::[ \t]*|(?:\n[ \t]*){{1,2}})"
    rf"({_NAME})(?![\w])",
    re.IGNORECASE,
)
# A two-column form row with no colon ("Last Name    Doe"): only the explicit name labels, at the
# start of the line, and the name ending it; anything else on the line makes it prose.
_SPACED = re.compile(
    r"(?m)^[ \t]*(?i:surname|last[ \t]+name|family[ \t]+name|given[ \t]+names?|first[ \t]+names?|"
    rf"middle[ \t]+names?|full[ \t]*name)[ \t]+({_NAME})[ \t]*$"
)
# A header that prints the name, then the date of birth on the next line (a medical image's burned-in
# patient line, a badge): the words that open the line above "DOB:", each a whole word.
_CAPS_WORD = "[A-Z\u00c0-\u00d6\u00d8-\u00de][A-Z\u00c0-\u00d6\u00d8-\u00de'\\-]+"
_ABOVE_BIRTH_DATE = re.compile(
    rf"(?m)^[ \t]*({_CAPS_WORD}(?=[ \t]|$)(?:[ \t]+{_CAPS_WORD}(?=[ \t]|$)){{0,2}})[^\n]*\n"
    r"[ \t]*(?i:dob|d\.o\.b\.?|date[ \t]+of[ \t]+birth)[ \t]*[:.]"
)
"""Capitals only, as such headers print names; a heading of the record's own is not a name."""
_HEADINGS = frozenset(
    {"patient", "information", "details", "personal", "record", "report", "medical", "history", "summary"}
    | {"data", "profile", "contact", "member", "employee", "student", "applicant", "the", "identity", "card"}
)
_CLOSINGS = (
    r"kind\s+regards|best\s+regards|warm\s+regards|regards|sincerely|yours\s+(?:sincerely|faithfully|truly)|"
    r"best\s+wishes|mit\s+freundlichen\s+gr(?:ü|ue|u)(?:ß|ss)en|(?:viele|beste|freundliche)\s+gr(?:ü|ue|u)(?:ß|ss)e|"
    r"bien\s+cordialement|cordialement|salutations\s+distingu[ée]es|veuillez\s+agr[ée]er[^\n]*|"
    r"atentamente|saludos\s+cordiales|un\s+saludo|cordiali\s+saluti|distinti\s+saluti"
)
# A letter's signature: the closing formula, then the writer's name alone on its line.
_FULL_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_NAME_WORD}){{1,3}}"
_SIGNATURE = re.compile(
    rf"(?<![\w])(?:{_CLOSINGS})[ \t]*[,.!]?[ \t]*(?:\n[ \t]*){{1,3}}({_FULL_NAME})[ \t]*(?=\n|$)",
    re.IGNORECASE,
)
# Indian and South Asian documents name a parent or spouse after "S/O" (son of), "D/O", "W/O";
# "C/O" (care of) names the person a letter reaches through. The name follows on the same line.
_RELATION = re.compile(
    rf"(?<![\w/])(?:[SDWC][ \t]*/[ \t]*O|son[ \t]+of|daughter[ \t]+of|wife[ \t]+of|husband[ \t]+of)"
    rf"[ \t]*[:,.-]?[ \t]*({_FULL_NAME})(?![\w])",
    re.IGNORECASE,
)
# A letter's addressee: "To," alone on its line (the Indian and British letter layout), the name
# alone on the next. "To" ending a line of prose is followed by text, not by a name line.
_ADDRESSEE = re.compile(rf"(?m)^[ \t]*To[ \t]*[,.:]?[ \t]*\n(?:[ \t]*\n)?[ \t]*({_FULL_NAME})[ \t]*(?=\n|$)")
_ROLES = (
    r"(?:applicant|co-?applicant|employee|employer|patient|borrower|co-?borrower|spouse|partner|child|"
    r"holder|cardholder|member|customer|client|owner|tenant|student|mother|father|parent|guardian|"
    r"insured|beneficiary|debtor|person|individual|taxpayer|worker|resident|participant|subscriber|"
    r"veteran|claimant|recipient|decedent|deceased|minor|witness|officer|driver|user|today|it|that|this)"
)
# "Dana's social security number is …": only a person has these, so the possessor is one
# (a company has an address and a phone number too, so those nouns are not enough).
_APOSTROPHE = "['\u2019]"
_POSSESSED = (
    rf"{_APOSTROPHE}s[ \t]+"
    rf"(?:social[ \t]+security|ssn\b|date[ \t]+of[ \t]+birth|birthday|passport|maiden[ \t]+name|"
    rf"driv(?:er|ing){_APOSTROPHE}?s?[ \t]+licen[cs]e|national[ \t]+insurance)"
)
_POSSESSION = re.compile(_POSSESSED, re.IGNORECASE)
"""Searched first: it starts with an apostrophe, so it is cheap where the full pattern, which tries
its list of roles at every word, costs a third of a millisecond a page."""
_POSSESSOR = re.compile(
    rf"(?<![\w'\u2019])(?!{_ROLES}{_APOSTROPHE})(?-i:({_NAME_WORD})){_POSSESSED}",
    re.IGNORECASE,
)
_PARTICLES = frozenset({"de", "del", "la", "le", "van", "von", "der", "da", "di", "du", "bin", "al"})
_NOT_NAMES = frozenset(
    {"date", "sex", "nationality", "signature", "address", "number", "no", "card", "type", "expiry", "birth", "of"}
    | {"last", "first", "middle", "given", "name", "names", "surname", "dob", "phone", "email", "zip", "city", "state"}
    # an instruction under a section heading ("APPLICANT INFORMATION / Complete the following")
    | {"complete", "please", "enter", "print", "attach", "check", "see", "use", "fill", "provide", "list"}
    # what a blank form prints in the field itself ("Last Name  Required")
    | {"required", "optional", "mandatory", "here", "below", "above", "field", "blank", "same", "unknown", "none"}
)


class LabelledNameRecognizer(OwnRecognizer):
    """PERSON printed after a name field label; score 0.75 (the label is strong evidence)."""

    name: str
    SCORE = 0.75

    ENTITY = "PERSON"

    def find(self, text: str) -> list[RecognizerResult]:
        results = []
        matches = (
            *_PATTERN.finditer(text),
            *_SPACED.finditer(text),
            *(m for m in _ABOVE_BIRTH_DATE.finditer(text) if not set(m.group(1).lower().split()) & _HEADINGS),
            *_SIGNATURE.finditer(text),
            *_RELATION.finditer(text),
            *_ADDRESSEE.finditer(text),
            *(_POSSESSOR.finditer(text) if _POSSESSION.search(text) else ()),
        )
        for match in matches:
            end = None
            for word in re.finditer(r"\S+", match.group(1)):
                lowered = word.group().lower()
                if lowered in _NOT_NAMES or (
                    not word.group()[0].isupper() and (end is None or lowered not in _PARTICLES)
                ):
                    break  # a lower-case word ends the name, unless a particle inside it ("Ana de Souza")
                end = match.start(1) + word.end()
            if end is None:
                continue
            start = match.start(1)
            results.append(self.result(start, end, self.SCORE))
        return results
