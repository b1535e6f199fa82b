"""Street address recognizer for English, German, French and Spanish layouts.

Presidio ships no address recognizer and spaCy's NER only tags the city part, so home
addresses in uploaded letters, invoices and forms went unnoticed.  Addresses are matched
as a street core (house number + street type + name, in the order each language uses),
optionally extended by a unit and a postcode/city part on the same or the next line.
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

_U = "A-ZÀ-ÖØ-Þ"  # upper-case Latin-1 letters


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _variants(words: str) -> str:
    """Alternation of each space-separated word as written, capitalised and upper-case.

    Deliberately not case-insensitive: "rUe" is noise, "rue", "Rue" and "RUE" are not.
    """
    forms = {form for word in words.split() for form in (word, word.capitalize(), word.upper())}
    return "|".join(sorted((re.escape(form) for form in forms), key=len, reverse=True))


_NAME_WORD = rf"[{_U}][\w'\u2019-]*"
_CITY = rf"{_NAME_WORD}(?:[ \t]+(?:(?:am|an|der|sur|de|del|la|le|en)[ \t]+)?{_NAME_WORD}){{0,2}}"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}"


class StreetAddressRecognizer(OwnRecognizer):
    """Finds postal street addresses by their structure.

    A house number next to a street type is required, which keeps prose such as "down
    the street" or "Chapter 12 Road" out.  Scores grow with corroboration: street core
    0.6, with a unit 0.65, with a city 0.7, with postcode and city 0.85.  All layouts are
    tried in every language because documents often quote foreign addresses.
    """

    ENTITY = "STREET_ADDRESS"
    SUPPORTED_LANGUAGES = ("en", "de", "fr", "es")

    SCORE_STREET = 0.6
    SCORE_UNIT_BONUS = 0.05
    SCORE_WITH_CITY = 0.7
    SCORE_WITH_POSTCODE = 0.85

    CONTEXT = (
        "address",
        "addr",
        "street",
        "live",
        "reside",
        "residence",
        "home",
        "mailing",
        "ship",
        "shipping",
        "billing",
        "delivery",
        "anschrift",
        "adresse",
        "wohnhaft",
        "wohnort",
        "domicile",
        "dirección",
        "direccion",
        "domicilio",
    )

    # "1600 Pennsylvania Avenue NW", "Flat 3, 10 Downing Street", "350 5th Ave", "12 W. Oak St".
    EN_STREET = re.compile(
        r"(?<![\w.,/:$€£-])"
        r"(?:(?:Flat|Apt|Apartment|Unit|Suite)[ \t]+[A-Za-z0-9-]{1,6},?[ \t]+)?"
        r"(?P<number>\d{1,6}[A-Za-z]?(?:-\d{1,4}[A-Za-z]?)?)[ \t]+"
        r"(?:(?:N|S|E|W|NE|NW|SE|SW)\.?[ \t]+)?"  # "918 W. Juniper Street", "41 NE Alder Ct"
        rf"(?P<name>(?:{_NAME_WORD}|\d{{1,3}}(?:st|nd|rd|th))(?:[ \t]+{_NAME_WORD}){{0,3}}?)[ \t]+"
        "(?P<type>"
        + _variants(
            "Street Avenue Road Boulevard Lane Drive Terrace Place Court Way Parkway Highway Circle"
            " Square Crescent Close Gardens Grove Mews Row Trail Alley Plaza Expressway Pike"
        )
        + "|(?:"
        + _variants("St Ave Rd Blvd Ln Dr Ter Pl Ct Pkwy Hwy Cir Sq")
        + r")\.?)(?!\w)"
        r"(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)(?![\w]))?"
    )

    # "Hauptstraße 12", "Karl-Marx-Str. 5a", "Berliner Straße 3-5", "Am Markt 1".
    DE_STREET = re.compile(
        r"(?<![\w-])"
        r"(?:"
        rf"[{_U}][\w-]*?(?i:straße|strasse|str\.|weg|gasse|allee|platz|damm|ufer|chaussee|steig|stieg|pfad)"
        rf"|(?:[{_U}][\w-]*[ \t]+){{1,2}}"
        r"(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz|Damm|Ufer|Chaussee|Markt|Steig|Stieg|Pfad)"
        r")[ \t]+"
        r"(?P<number>\d{1,4}(?:[ \t]?[a-zA-Z])?(?:[ \t]?[-/][ \t]?\d{1,4}[a-zA-Z]?)?)"
        r"(?![\w]|[.,]\d)"
    )

    _FR_PARTICLE = r"(?:(?i:de|du|des|la|le|les|à|au|aux|sur|et|en)[ \t]+|(?i:d|l)['\u2019])"
    # "12 rue de la Paix", "5 avenue des Champs-Élysées", "3bis, boulevard Voltaire".
    FR_STREET = re.compile(
        r"(?<![\w.,/:$€£-])"
        r"(?P<number>\d{1,4}(?:[ \t]?(?:bis|ter|quater|[A-Da-d])(?!\w))?),?[ \t]+"
        "(?P<type>"
        + _variants(
            "rue avenue av. boulevard bd allée allee impasse chemin quai route cours passage square"
            " place voie faubourg esplanade promenade sentier rond-point"
        )
        + r")(?!\w)[ \t]+"
        rf"(?P<name>{_FR_PARTICLE}*{_NAME_WORD}(?:[ \t]+{_FR_PARTICLE}*{_NAME_WORD}){{0,4}})"
    )
    # Also English words; capitalised and bare they are more likely "10 Square Feet".
    FR_AMBIGUOUS_TYPES = frozenset({"route", "cours", "passage", "square", "place", "voie", "promenade"})

    _ES_PARTICLE = r"(?i:de|del|la|las|los|el|y)[ \t]+"
    # "Calle Mayor 15", "Avenida de la Constitución 3", "C/ Alcalá, nº 20".
    ES_STREET = re.compile(
        r"(?<![\w-])"
        r"(?P<type>(?:C/|c/)[ \t]*|C\.[ \t]+|(?:"
        + _variants(
            "calle avenida avda. avda paseo plaza pza. camino carrera ronda travesía travesia"
            " carretera ctra. glorieta rambla callejón pasaje acceso vial pasadizo cañada alameda"
            " urbanización urbanizacion vía via cuesta costanilla plazuela polígono poligono senda bulevar"
        )
        + r")[ \t]+)"
        rf"(?P<name>(?:{_ES_PARTICLE})*{_NAME_WORD}(?:[ \t]+(?:{_ES_PARTICLE})*{_NAME_WORD}){{0,4}})"
        r",?[ \t]+(?:(?:n[º°o]\.?|N[º°o]\.?|núm\.?|num\.?)[ \t]*)?"
        r"(?P<number>\d{1,4}[A-Za-z]?)"
        r"(?![\w]|[.,]\d)"
    )

    UNIT = re.compile(
        r"[ \t]*,?[ \t]*(?:"
        + _variants("apt apartment suite ste unit flat floor fl room rm bldg")
        + r")\.?[ \t]*#?[ \t]*[A-Za-z0-9-]{1,6}(?!\w)"
        r"|[ \t]*,?[ \t]*#[ \t]*[A-Za-z0-9-]{1,6}(?!\w)"
    )

    # Postcode and city: "Springfield, IL 62704", "ANYTOWN, MA, 02127" (ID cards), "Any Town, USA",
    # "London SW1A 2AA", "10115 Berlin".
    LOCALITY = re.compile(
        rf"(?:(?P<us_city>{_CITY}),?[ \t]+(?P<us_state>[A-Z]{{2}}),?[ \t]+\d{{5}}(?:-\d{{4}})?"
        rf"|{_CITY},?[ \t]+(?:USA|U\.S\.A\.?|United[ \t]+States)(?:[ \t]+\d{{5}}(?:-\d{{4}})?)?"
        rf"|(?:{_CITY},?[ \t]+)?{_UK_POSTCODE}"
        rf"|(?:[A-Z]{{1,2}}-)?\d{{5}}[ \t]+{_CITY}"
        r")(?![\w-])"
    )
    CITY_ONLY = re.compile(rf"{_CITY}(?=[ \t]*(?:[.;)\r\n]|$))")
    SAME_LINE_SEPARATOR = re.compile(r"[ \t]*,[ \t]*|[ \t]+")
    NEXT_LINE_SEPARATOR = re.compile(r"[ \t]*,?[ \t]*\r?\n[ \t]*")

    US_STATES = _words(
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
        "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP"
    )
    # A number after these words is a chapter, version, rank... not a house number.
    NON_ADDRESS_PRECEDING_WORDS = _words(
        "chapter section page part vol volume episode season level step figure fig table "
        "version release item grade no nr number top rule verse act scene book lesson"
    )
    YEAR_PRECEDING_WORDS = _words("in since of from until by during for before after circa around")
    # Name + street type pairs that are everyday phrases rather than streets.
    NON_ADDRESS_PHRASES = frozenset(
        {
            "google drive",
            "hard drive",
            "flash drive",
            "usb drive",
            "disk drive",
            "thumb drive",
            "test drive",
            "one way",
            "the way",
            "no way",
            "milky way",
            "supreme court",
            "high court",
            "district court",
            "food court",
        }
    )
    _PREVIOUS_WORD = re.compile(r"(\w+)\W*$")

    def __init__(self, supported_language: str = "en") -> None:
        if supported_language not in self.SUPPORTED_LANGUAGES:
            raise ValueError(f"{type(self).__name__} supports {self.SUPPORTED_LANGUAGES}, not {supported_language!r}")
        super().__init__(supported_language)

    def find(self, text: str) -> list[RecognizerResult]:
        """Match street cores, extend them to unit/locality and keep the best non-overlapping."""
        candidates: list[tuple[int, int, float, str]] = []
        for pattern_name, pattern in (
            ("en", self.EN_STREET),
            ("de", self.DE_STREET),
            ("fr", self.FR_STREET),
            ("es", self.ES_STREET),
        ):
            for match in pattern.finditer(text):
                if not self._plausible_street(text, pattern_name, match):
                    continue
                end, score = self._extend(text, match.end())
                if pattern_name == "fr" and not self._plausible_french(match, score):
                    continue
                candidates.append((match.start(), end, score, pattern_name))

        candidates.sort(key=lambda c: (-c[2], -(c[1] - c[0]), c[0]))
        chosen: list[tuple[int, int, float, str]] = []
        for candidate in candidates:
            if all(candidate[1] <= other[0] or candidate[0] >= other[1] for other in chosen):
                chosen.append(candidate)
        return [self._result(*candidate) for candidate in sorted(chosen)]

    def _plausible_street(self, text: str, pattern_name: str, match: re.Match[str]) -> bool:
        if pattern_name not in ("en", "fr"):
            return True
        previous = self._PREVIOUS_WORD.search(text, max(0, match.start() - 40), match.start())
        previous_word = previous.group(1).lower() if previous else ""
        if previous_word in self.NON_ADDRESS_PRECEDING_WORDS:
            return False
        number = match.group("number")
        if previous_word in self.YEAR_PRECEDING_WORDS and re.fullmatch(r"(?:1[89]|20)\d\d", number):
            return False
        if pattern_name == "en":
            last_name_word = match.group("name").split()[-1]
            phrase = f"{last_name_word} {match.group('type').rstrip('.')}".lower()
            if phrase in self.NON_ADDRESS_PHRASES:
                return False
        return True

    def _plausible_french(self, match: re.Match[str], score: float) -> bool:
        """Keep capitalised ambiguous types only with a particle or a locality.

        "10 Place Vendôme, 75001 Paris" is an address, "10 Square Feet" is not.
        """
        street_type = match.group("type")
        if street_type.lower() not in self.FR_AMBIGUOUS_TYPES or street_type.islower():
            return True
        if re.match(self._FR_PARTICLE, match.group("name")):
            return True
        return score >= self.SCORE_WITH_CITY

    def _extend(self, text: str, end: int) -> tuple[int, float]:
        """Grow a street core over a unit and a locality; return the new end and score."""
        score = self.SCORE_STREET
        unit = self.UNIT.match(text, end)
        if unit:
            end = unit.end()
            score += self.SCORE_UNIT_BONUS
        for separator, city_alone in ((self.SAME_LINE_SEPARATOR, True), (self.NEXT_LINE_SEPARATOR, False)):
            gap = separator.match(text, end)
            if not gap:
                continue
            locality = self.LOCALITY.match(text, gap.end())
            if locality and self._valid_locality(locality):
                return locality.end(), self.SCORE_WITH_POSTCODE
            # A bare city only counts on the same line after a comma ("221B Baker Street, London").
            if city_alone and "," in gap.group():
                city = self.CITY_ONLY.match(text, gap.end())
                if city:
                    return city.end(), max(score, self.SCORE_WITH_CITY)
        return end, score

    def _valid_locality(self, locality: re.Match[str]) -> bool:
        state = locality.group("us_state")
        return state is None or state in self.US_STATES

    def _result(self, start: int, end: int, score: float, pattern_name: str) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=score,
            pattern_name=f"street_{pattern_name}",
            textual_explanation=f"{pattern_name} street layout",
        )
        return self.result(start, end, score, explanation=explanation)
