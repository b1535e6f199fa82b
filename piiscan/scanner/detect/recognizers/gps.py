"""GPS coordinate recognizer.

Coordinates in photo metadata dumps, delivery notes or chat exports pinpoint where a
person lives or was.  Pairs of decimal numbers are everywhere (prices, measurements), so
decimal pairs need survey-grade precision or a nearby context word; degree/minute/second
notation and labelled "lat ... lon ..." pairs are distinctive on their own.
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

_SIGN = "[-+\u2212]?"
# Not preceded by a word character, dot, sign or currency: rules out IPs, versions, prices.
_NUMBER_START = r"(?<![\w.+\u2212$€£¥-])"
_NUMBER_END = r"(?![\w]|[.,]\d)"


_DEGREE_SIGNS = re.compile("[°º˚]")
_LATITUDE_WORD = re.compile(r"(?i:lat|breite)")
"""What every DMS pair and every labelled pair holds (their degree signs, their latitude labels)."""


def _dms_point(prefix: str) -> str:
    """Degrees, optional minutes/seconds and one hemisphere letter, before or after."""
    return (
        rf"(?:(?P<{prefix}_pre>[NSEW])[ \t]*)?"
        rf"(?P<{prefix}_deg>\d{{1,3}})[ \t]*[°º˚][ \t]*"
        rf"(?:(?P<{prefix}_min>\d{{1,2}}(?:[.,]\d+)?)[ \t]*['\u2032\u2019\u00b4][ \t]*)?"
        rf"(?:(?P<{prefix}_sec>\d{{1,2}}(?:[.,]\d+)?)[ \t]*(?:\"|\u2033|''|\u201d|\u2032\u2032)[ \t]*)?"
        # Python's conditional group: a trailing letter is required exactly when none led.
        rf"(?({prefix}_pre)|(?P<{prefix}_post>[NSEW])(?!\w))"
    )


class GpsCoordinatesRecognizer(OwnRecognizer):
    """Finds latitude/longitude pairs in decimal, labelled and DMS notation.

    Scores: DMS or labelled pairs 0.85; decimal pairs with a context word or hemisphere
    letters 0.75; bare decimal pairs with at least four decimals each 0.55 (they could
    still be measurements).
    """

    ENTITY = "GPS_COORDINATES"
    MIN_DECIMALS_WITHOUT_CONTEXT = 4
    CONTEXT_WINDOW = 48  # characters inspected before and after a decimal pair

    SCORE_DISTINCT = 0.85
    SCORE_WITH_CONTEXT = 0.75
    SCORE_BARE = 0.55

    CONTEXT = (
        "gps",
        "lat",
        "lon",
        "lng",
        "latitude",
        "longitude",
        "coordinates",
        "coords",
        "location",
        "position",
        "geo",
        "koordinaten",
        "standort",
        "coordonnées",
        "coordenadas",
        "ubicación",
    )
    CONTEXT_RE = re.compile(
        r"\b(?:gps|lat|lon|lng|long|latitude|longitude|coordinates?|coords?|location|position|geo"
        r"|geolocation|koordinaten|standort|breite|länge|breitengrad|längengrad|coordonnées"
        r"|coordenadas|ubicación|ubicacion|posición|latitud|longitud)\b",
        re.IGNORECASE,
    )

    DECIMAL_PAIR = re.compile(
        rf"{_NUMBER_START}(?P<lat>{_SIGN}\d{{1,2}}\.\d+)(?:[ \t]*°)?(?:[ \t]*(?P<lat_h>[NS])(?!\w))?"
        r"(?:[ \t]*[,;/][ \t]*|[ \t]+)"
        rf"{_NUMBER_START}(?P<lon>{_SIGN}\d{{1,3}}\.\d+)(?:[ \t]*°)?(?:[ \t]*(?P<lon_h>[EW])(?!\w))?"
        rf"{_NUMBER_END}"
    )
    LABELLED_PAIR = re.compile(
        r"\b(?i:lat(?:itude)?|breite|latitud)\b[ \t]*[:=]?[ \t]*"
        rf"{_NUMBER_START}(?P<lat>{_SIGN}\d{{1,2}}(?:\.\d+)?)(?:[ \t]*°)?(?:[ \t]*(?P<lat_h>[NS])(?!\w))?"
        r"[ \t]*[,;/]?[ \t]*"
        r"\b(?i:lon|lng|long|longitude|länge|laenge|longitud)\b[ \t]*[:=]?[ \t]*"
        rf"{_NUMBER_START}(?P<lon>{_SIGN}\d{{1,3}}(?:\.\d+)?)(?:[ \t]*°)?(?:[ \t]*(?P<lon_h>[EW])(?!\w))?"
        rf"{_NUMBER_END}"
    )
    # "12.5000 3.9900 EUR" is a price list, whatever the precision.
    CURRENCY_AFTER = re.compile(r"[ \t]*(?:[$€£¥]|(?i:usd|eur|gbp|chf|dollars?|euros?)\b)")
    DMS_PAIR = re.compile(rf"(?<![\w.]){_dms_point('a')}[ \t]*[,;/]?[ \t]*{_dms_point('b')}")

    def find(self, text: str) -> list[RecognizerResult]:
        """Collect DMS, labelled and decimal pairs; the most specific reading wins overlaps."""
        candidates: list[tuple[int, int, float, str]] = []
        # each pattern scan is skipped where a character or word it needs is absent
        for match in self.DMS_PAIR.finditer(text) if _DEGREE_SIGNS.search(text) else ():
            if self._valid_dms(match):
                candidates.append((match.start(), match.end(), self.SCORE_DISTINCT, "dms"))
        for match in self.LABELLED_PAIR.finditer(text) if _LATITUDE_WORD.search(text) else ():
            if self._valid_decimal(match):
                candidates.append((match.start("lat"), match.end(), self.SCORE_DISTINCT, "labelled"))
        for match in self.DECIMAL_PAIR.finditer(text):
            score = self._decimal_score(text, match)
            if score is not None:
                candidates.append((match.start(), match.end(), score, "decimal"))

        chosen: list[tuple[int, int, float, str]] = []
        for candidate in sorted(candidates, key=lambda c: (-c[2], -(c[1] - c[0]), c[0])):
            if all(candidate[1] <= other[0] or candidate[0] >= other[1] for other in chosen):
                chosen.append(candidate)
        return [self._result(*candidate) for candidate in sorted(chosen)]

    @staticmethod
    def _signed(number: str) -> float:
        return float(number.replace("\u2212", "-"))

    def _valid_decimal(self, match: re.Match[str]) -> bool:
        lat, lon = self._signed(match.group("lat")), self._signed(match.group("lon"))
        # Hemisphere letters replace signs; "-12.5 S" is contradictory.
        if (match.group("lat_h") and lat < 0) or (match.group("lon_h") and lon < 0):
            return False
        if lat == 0 and lon == 0:  # an unset GPS field, not a location
            return False
        return abs(lat) <= 90 and abs(lon) <= 180

    def _decimal_score(self, text: str, match: re.Match[str]) -> float | None:
        if not self._valid_decimal(match):
            return None
        window = (
            text[max(0, match.start() - self.CONTEXT_WINDOW) : match.start()]
            + " "
            + text[match.end() : match.end() + self.CONTEXT_WINDOW]
        )
        if self.CURRENCY_AFTER.match(text, match.end()):
            return None
        # Both hemisphere letters ("48.85 N, 2.29 E") are as telling as a context word.
        if self.CONTEXT_RE.search(window) or (match.group("lat_h") and match.group("lon_h")):
            return self.SCORE_WITH_CONTEXT
        decimals = min(len(match.group(group).split(".")[1]) for group in ("lat", "lon"))
        return self.SCORE_BARE if decimals >= self.MIN_DECIMALS_WITHOUT_CONTEXT else None

    @staticmethod
    def _valid_dms(match: re.Match[str]) -> bool:
        hemispheres: dict[str, float] = {}
        for point in ("a", "b"):
            hemisphere = match.group(f"{point}_pre") or match.group(f"{point}_post")
            minutes = float((match.group(f"{point}_min") or "0").replace(",", "."))
            seconds = float((match.group(f"{point}_sec") or "0").replace(",", "."))
            if minutes >= 60 or seconds >= 60:
                return False
            axis = "lat" if hemisphere in "NS" else "lon"
            hemispheres[axis] = int(match.group(f"{point}_deg")) + minutes / 60 + seconds / 3600
        if set(hemispheres) != {"lat", "lon"}:
            return False
        return hemispheres["lat"] <= 90 and hemispheres["lon"] <= 180

    def _result(self, start: int, end: int, score: float, pattern_name: str) -> RecognizerResult:
        # Our own context check already raised the score; stop Presidio from adding again.
        boosted = pattern_name == "decimal" and score == self.SCORE_WITH_CONTEXT
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=score,
            pattern_name=pattern_name,
            textual_explanation=f"{pattern_name} coordinate pair",
        )
        return self.result(
            start,
            end,
            score,
            explanation=explanation,
            metadata={RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: boosted},
        )
