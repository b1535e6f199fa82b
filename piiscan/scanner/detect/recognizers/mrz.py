"""Machine readable zone (ICAO 9303) recognizer.

An MRZ on a passport or ID card carries the holder's name, nationality, birth date and
document number, so finding one means an identity document was uploaded.  The layout is
fixed-width and protected by check digits, which lets us be strict about validity while
staying tolerant of the usual OCR damage (spaces, miscounted fillers, ``O`` for ``0``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from presidio_analyzer import AnalysisExplanation, RecognizerResult

from piiscan.scanner.detect.recognizers.base import OwnRecognizer

MrzFormat = Literal["TD1", "TD2", "TD3"]


@dataclass(frozen=True)
class MrzData:
    """Fields decoded from a validated MRZ.

    Dates stay as the printed ``YYMMDD`` digits because the century is ambiguous; country
    codes and names have their ``<`` fillers removed; ``sex`` is ``M``, ``F`` or ``X``.
    """

    format: MrzFormat
    document_type: str
    issuing_country: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: str
    sex: str
    expiry_date: str
    composite_valid: bool
    optional_data: tuple[str, ...] = ()
    """The optional-data fields, fillers removed: states print a personal or national identity
    number there (TD3 positions 29-42 of line 2)."""
    lines: tuple[str, ...] = ()
    """The lines as read, with the repairs the check digits confirmed (digits where OCR read
    letters, fillers where it read 'K'), in document order."""


@dataclass(frozen=True)
class _Found:
    """A validated MRZ plus its character span in the analysed text."""

    data: MrzData
    start: int
    end: int
    fields_valid: bool


@dataclass(frozen=True)
class _Compact:
    """A whitespace-free copy of an MRZ-looking text region.

    OCR splits MRZ lines at arbitrary spaces, so matching happens on the compacted text;
    ``offsets`` maps each compact index back to the original text and ``breaks`` holds the
    compact indices that followed whitespace (likely line starts).
    """

    text: str
    offsets: tuple[int, ...]
    breaks: frozenset[int]


_LINE_LENGTH: dict[MrzFormat, int] = {"TD1": 30, "TD2": 36, "TD3": 44}
_FORMAT_PRIORITY: dict[MrzFormat, int] = {"TD3": 0, "TD1": 1, "TD2": 2}

_CHAR_VALUES: dict[str, int] = {
    "<": 0,
    **{digit: int(digit) for digit in string.digits},
    **{letter: 10 + index for index, letter in enumerate(string.ascii_uppercase)},
}
_WEIGHTS = (7, 3, 1)
_DIGITS = frozenset(string.digits)

# Only the confusions the OCR engine is known to make; applied where ICAO mandates digits.
_DIGIT_LOOKALIKES = {"O": "0", "Q": "0", "D": "0", "I": "1", "B": "8", "S": "5", "Z": "2", "G": "6"}
_DIGIT_FIXES = str.maketrans(_DIGIT_LOOKALIKES)
# Country codes are letters; OCR reads O as 0 in them (UT0 for UTO).
_LETTER_FIXES = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})
_FILLER_FIXES = str.maketrans({"«": "<", "\u2039": "<"})
_N = "[0-9OQDIBSZG]"  # a numeric position, before OCR fixes

_MIN_REGION = 60  # shorter than any complete MRZ, so not worth compacting
_REGION_RE = re.compile(r"[A-Z0-9<«\u2039][A-Z0-9<«\u2039\s]*")
# Three or more K's are never a name; they are a filler run that OCR read as K.
_K_FILLER_RE = re.compile(r"K{3,}")
_SEX_CODES = {"M": "M", "F": "F", "X": "X", "<": "X"}

# Second line of TD3/TD2 and the first two lines of TD1 carry every check digit, so they
# are matched at a fixed width; zero-width lookaheads let candidates overlap.
# A field's check digit may be lost ('<' where OCR dropped it): the decoder recomputes it only where
# every other check then confirms it.
_C = "[0-9OQDIBSZG<]"
_TD3_LINE2_RE = re.compile(
    rf"(?=[A-Z0-9<]{{9}}{_C}[A-Z0-9<]{{3}}{_N}{{6}}{_C}[MFX<]{_N}{{6}}{_C}[A-Z0-9<]{{14}}{_C}{_N})"
)
_TD2_LINE2_RE = re.compile(rf"(?=[A-Z0-9<]{{9}}{_C}[A-Z0-9<]{{3}}{_N}{{6}}{_C}[MFX<]{_N}{{6}}{_C}[A-Z0-9<]{{7}}{_N})")
_TD1_LINES12_RE = re.compile(
    rf"(?=[A-Z][A-Z<][A-Z0-9<]{{3}}[A-Z0-9<]{{9}}{_C}[A-Z0-9<]{{15}}"
    rf"{_N}{{6}}{_C}[MFX<]{_N}{{6}}{_C}[A-Z0-9<]{{3}}[A-Z0-9<]{{11}}{_N})"
)
# Document code, issuing state, then names; digits tolerated as OCR noise in names.
_NAME_LINE_WITH_HEADER_RE = re.compile(r"[A-Z][A-Z<][A-Z0-9<]{3}[A-Z0-9<]+")
_NAME_LINE_RE = re.compile(r"[A-Z][A-Z0-9<]*")
# OCR miscounts long filler runs, so a names line may be a few characters off.
_LENGTH_SLACK = (0, -1, 1, -2, 2)


_MIN_FIELD_CHECKS = 2
"""Two of the three field check digits valid, with two plausible dates and a nationality of
letters, is still an MRZ: OCR misreads one character of the document number often, and the
chance that prose fits the whole layout and two check digits is negligible."""
_LETTERS = re.compile(r"[A-Z<]{3}")


def _check_digit(field: str) -> int:
    return sum(_CHAR_VALUES.get(char, 0) * _WEIGHTS[i % 3] for i, char in enumerate(field)) % 10


def _verify(field: str, digit: str) -> bool:
    return digit in _DIGITS and _check_digit(field) == int(digit)


def _plausible_date(yymmdd: str) -> bool:
    if len(yymmdd) != 6 or not set(yymmdd) <= _DIGITS:
        return False
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def _fix_digits(line: str, positions: range | tuple[int, ...]) -> str:
    chars = list(line)
    for index in positions:
        chars[index] = chars[index].translate(_DIGIT_FIXES)
    return "".join(chars)


def _repair_document_number(line: str) -> str:
    """Read letters of the document number as the digits OCR mistook them for ("ROOOOOOOO" ->
    "R00000000") when, and only when, that makes its check digit valid: letters are legal
    there, so only the check digit can tell."""
    number = line[0:9]
    if _verify(number, line[9]):
        return line
    fixed = number.translate(_DIGIT_FIXES)
    return fixed + line[9:] if fixed != number and _verify(fixed, line[9]) else line


def _clean(field: str) -> str:
    return " ".join(field.replace("<", " ").split())


def _split_names(names: str) -> tuple[str, str]:
    surname, _, given = names.partition("<<")
    return _clean(surname), _clean(given)


def _compact_regions(text: str) -> list[_Compact]:
    regions: list[_Compact] = []
    for match in _REGION_RE.finditer(text):
        if match.end() - match.start() + 3 * (match.group().count("\n") + 1) < _MIN_REGION:
            continue  # too short even if every line's filler run were repaired (+3): most capitals and digits
        lines: list[tuple[list[str], list[int], set[int]]] = [([], [], set())]
        after_space = True
        for index, char in enumerate(match.group(), start=match.start()):
            if char == "\n" and lines[-1][0]:
                lines.append(([], [], set()))
            if char.isspace():
                after_space = True
                continue
            chars, offsets, breaks = lines[-1]
            if after_space:
                breaks.add(len(chars))
            chars.append(char)
            offsets.append(index)
            after_space = False
        all_chars: list[str] = []
        all_offsets: list[int] = []
        all_breaks: set[int] = set()
        for chars, offsets, breaks in lines:
            line, line_offsets = _repair_filler_run("".join(chars).translate(_FILLER_FIXES), offsets)
            all_breaks.update(len(all_chars) + b for b in breaks if b < len(line))
            all_chars.extend(line)
            all_offsets.extend(line_offsets)
        if len(all_chars) < _MIN_REGION:
            continue
        all_breaks.add(len(all_chars))
        compact = _K_FILLER_RE.sub(lambda m: "<" * len(m.group()), "".join(all_chars))
        regions.append(_Compact(compact, tuple(all_offsets), frozenset(all_breaks)))
    return regions


_FILLER_RUN_RE = re.compile(r"<{3,}")


def _repair_filler_run(line: str, offsets: list[int]) -> tuple[str, list[int]]:
    """Bring a line that is 1-3 characters off an MRZ width back to it by resizing its
    longest filler run: OCR miscounts long runs of '<', and every field after the run
    would otherwise shift out of place."""
    length = len(line)
    target = next((w for w in (30, 36, 44) if 0 < abs(w - length) <= 3), None)
    if target is None:
        return line, offsets
    runs = list(_FILLER_RUN_RE.finditer(line))
    if not runs:
        return line, offsets
    run = max(runs, key=lambda m: m.end() - m.start())
    delta = target - length
    if delta < 0 and run.end() - run.start() + delta < 1:
        return line, offsets
    cut = run.end() + min(delta, 0)
    new_line = line[:cut] + "<" * max(delta, 0) + line[run.end() :]
    new_offsets = offsets[:cut] + [offsets[run.end() - 1]] * max(delta, 0) + offsets[run.end() :]
    return new_line, new_offsets


def _pick_boundary(region: _Compact, candidates: list[int], fits: Callable[[int], bool]) -> int | None:
    """Choose among slack-adjusted line boundaries, preferring ones OCR put whitespace at."""
    fitting = [c for c in candidates if fits(c)]
    at_break = [c for c in fitting if c in region.breaks]
    if at_break:
        return at_break[0]
    return fitting[0] if fitting else None


def _name_line_before(region: _Compact, end: int, length: int) -> int | None:
    """Start index of the names line (line 1) that ends where the data line begins."""

    def fits(start: int) -> bool:
        return start >= 0 and _NAME_LINE_WITH_HEADER_RE.fullmatch(region.text, start, end) is not None

    return _pick_boundary(region, [end - length + slack for slack in _LENGTH_SLACK], fits)


def _name_line_after_data(region: _Compact, start: int, length: int) -> int | None:
    """End index of a TD2/TD3 names line (with its header) read after the data line."""

    def fits(end: int) -> bool:
        return (
            end <= len(region.text)
            and region.text[start] in _DOCUMENT_CODES
            and _NAME_LINE_WITH_HEADER_RE.fullmatch(region.text, start, end) is not None
        )

    return _pick_boundary(region, [start + length + slack for slack in _LENGTH_SLACK], fits)


_DOCUMENT_CODES = frozenset("PVACI")


def _name_line_after(region: _Compact, start: int, length: int) -> int | None:
    """End index of the TD1 names line (line 3) that starts after line 2."""

    def fits(end: int) -> bool:
        return end <= len(region.text) and _NAME_LINE_RE.fullmatch(region.text, start, end) is not None

    return _pick_boundary(region, [start + length + slack for slack in _LENGTH_SLACK], fits)


_NUMBER_CONFUSIONS = {**_DIGIT_LOOKALIKES, "I": "1J", "L": "1"}
"""The letters OCR reads for a document number's digits (and ``I`` for ``J``). Only this way round:
each reading tried is another chance that a wrong number fits two check digits, and OCR reads the
MRZ font's digits as letters far more often than its letters as digits."""
_MAX_NUMBER_CHANGES = 3


def _number_variants(number: str) -> Iterator[str]:
    """``number`` as is, then with every copy of one confusable character read the other way
    ('ZG1IGKIVX' for 'ZG1JGKJVX'), then with one copy."""
    yield number
    for char in sorted(set(number)):
        if number.count(char) <= _MAX_NUMBER_CHANGES:
            for other in _NUMBER_CONFUSIONS.get(char, ""):
                yield number.replace(char, other)
    for index, char in enumerate(number):
        if number.count(char) > 1:
            for other in _NUMBER_CONFUSIONS.get(char, ""):
                yield number[:index] + other + number[index + 1 :]


def _best_repair(original: str, candidates: Iterator[str], valid: Callable[[str], bool], number: slice) -> str | None:
    """The valid candidate that reads most like the read: its document number not mixing ``O`` and
    ``0`` (a printer uses one), then the fewest characters changed; None when two tie.

    Check digits cannot tell ``O`` from ``0`` where the weights of the places read the other way
    add up to a multiple of five: both readings hold, and only the read itself can choose.
    """
    ranked: dict[str, tuple[bool, int]] = {}
    for candidate in candidates:
        if candidate not in ranked and valid(candidate):
            field = candidate[number]
            ranked[candidate] = (
                "O" in field and "0" in field,
                sum(a != b for a, b in zip(candidate, original, strict=True)),
            )
    if not ranked:
        return None
    best = min(ranked.values())
    chosen = [candidate for candidate, rank in ranked.items() if rank == best]
    return chosen[0] if len(chosen) == 1 else None


def _with_lost_checks(line: str, fields: tuple[tuple[int, int, int], ...]) -> str:
    """``line`` with each check digit OCR lost (a filler or a letter where a digit belongs) computed
    from its field; ``fields`` holds (start, end, check position)."""
    chars = list(line)
    for start, end, check in fields:
        if chars[check] not in _DIGITS:
            chars[check] = str(_check_digit(line[start:end]))
    return "".join(chars)


def _confirmed_two_line(line2: str, length: int) -> str | None:
    """Line 2 of a TD2/TD3 repaired so that every check digit holds, or None.

    The repairs are the damage OCR does: confusable characters of the document number, a check digit
    lost, a filler of the optional data read as a letter. All three field checks and the composite
    (which covers them) must hold; among repairs that do, :func:`_best_repair` picks.
    """
    fields = ((0, 9, 9), (13, 19, 19), (21, 27, 27))
    optional = (28, length - 2 if length == _LINE_LENGTH["TD3"] else length - 1)
    fillers = line2[: optional[0]] + _as_fillers(line2[optional[0] : optional[1]]) + line2[optional[1] :]

    def candidates() -> Iterator[str]:
        for base in dict.fromkeys((line2, fillers)):
            for number in _number_variants(base[0:9]):
                yield number + base[9:]
                yield _with_lost_checks(number + base[9:], fields)

    def valid(candidate: str) -> bool:
        return all(_verify(candidate[a:b], candidate[c]) for a, b, c in fields) and _verify(
            candidate[0:10] + candidate[13:20] + candidate[21 : length - 1], candidate[length - 1]
        )

    return _best_repair(line2, candidates(), valid, slice(0, 9))


def _decode_two_line(fmt: MrzFormat, line1: str, raw_line2: str) -> tuple[MrzData, bool] | None:
    """Validate and decode TD3/TD2, whose line 2 differs only in the optional-data width."""
    length = _LINE_LENGTH[fmt]
    numeric = [9, *range(13, 20), *range(21, 28), length - 1]
    if fmt == "TD3" and raw_line2[42] != "<":
        numeric.append(42)  # personal number check digit; '<' when the field is empty
    line2 = _fix_digits(raw_line2, tuple(numeric))
    # a repair every check digit confirms first; the document number's own check alone, else
    line2 = _confirmed_two_line(line2, length) or _repair_document_number(line2)
    birth, expiry = line2[13:19], line2[21:27]
    if not (_plausible_date(birth) and _plausible_date(expiry)):
        return None
    checks = (_verify(line2[0:9], line2[9]), _verify(birth, line2[19]), _verify(expiry, line2[27]))
    fields_valid = all(checks)
    composite_valid = _verify(line2[0:10] + line2[13:20] + line2[21 : length - 1], line2[length - 1])
    if not (fields_valid or composite_valid or (sum(checks) >= _MIN_FIELD_CHECKS and _LETTERS.fullmatch(line2[10:13]))):
        return None
    surname, given = _split_names(line1[5:])
    data = MrzData(
        format=fmt,
        document_type=line1[0:2].strip("<"),
        issuing_country=line1[2:5].translate(_LETTER_FIXES).strip("<"),
        surname=surname,
        given_names=given,
        document_number=line2[0:9].strip("<"),
        nationality=line2[10:13].translate(_LETTER_FIXES).strip("<"),
        birth_date=birth,
        sex=_SEX_CODES[line2[20]],
        expiry_date=expiry,
        composite_valid=composite_valid,
        optional_data=_optional(line2[28 : length - 2 if fmt == "TD3" else length - 1]),
        lines=(_letters_at(line1, 2), _letters_at(line2, 10)),
    )
    return data, fields_valid


_FILLER_MISREADS = re.compile(r"[SKCERXO](?=<)|(?<=<)[SKCERXO]")


def _as_fillers(field: str) -> str:
    """``field`` with the letters OCR reads for a filler turned to '<' where they touch one."""
    return _FILLER_MISREADS.sub("<", field)


def _letters_at(line: str, start: int) -> str:
    """``line`` with the three-letter country code at ``start`` read as letters (UT0 -> UTO)."""
    return line[:start] + line[start : start + 3].translate(_LETTER_FIXES) + line[start + 3 :]


def _optional(*fields: str) -> tuple[str, ...]:
    return tuple(value for value in (field.strip("<").replace("<", "") for field in fields) if value)


def _confirmed_td1(line1: str, line2: str) -> tuple[str, str] | None:
    """Lines 1 and 2 of a TD1 repaired as :func:`_confirmed_two_line` repairs a TD3 (confusable
    characters of the document number, a lost check digit, optional-data fillers read as letters:
    "4S<<<"), when every check digit then holds (:func:`_best_repair` picks among such repairs)."""
    fillers = (line1[:15] + _as_fillers(line1[15:30]), line2[:18] + _as_fillers(line2[18:29]) + line2[29:])

    def candidates() -> Iterator[str]:
        for base1, base2 in dict.fromkeys(((line1, line2), fillers)):
            two = _with_lost_checks(base2, ((0, 6, 6), (8, 14, 14)))
            for number in _number_variants(base1[5:14]):
                yield _with_lost_checks(base1[:5] + number + base1[14:], ((5, 14, 14),)) + "\n" + two

    def valid(candidate: str) -> bool:
        one, two = candidate.split("\n")
        return (
            _verify(one[5:14], one[14])
            and _verify(two[0:6], two[6])
            and _verify(two[8:14], two[14])
            and _verify(one[5:30] + two[0:7] + two[8:15] + two[18:29], two[29])
        )

    found = _best_repair(line1 + "\n" + line2, candidates(), valid, slice(5, 14))
    if found is None:
        return None
    one, two = found.split("\n")
    return one, two


def _decode_td1(raw_line1: str, raw_line2: str, line3: str) -> tuple[MrzData, bool] | None:
    line1 = raw_line1 if raw_line1[14] == "<" else _fix_digits(raw_line1, (14,))
    line2 = _fix_digits(raw_line2, (*range(0, 7), *range(8, 15), 29))
    # a repair every check digit confirms first; the document number's own check alone, else
    repaired = _confirmed_td1(line1, line2) if line1[14] != "<" else None
    if repaired is not None:
        line1, line2 = repaired
    else:
        line1 = line1[:5] + _repair_document_number(line1[5:])
    birth, expiry = line2[0:6], line2[8:14]
    if not (_plausible_date(birth) and _plausible_date(expiry)):
        return None
    document_number, document_check = line1[5:14], line1[14]
    if document_check == "<":
        # Numbers longer than 9 characters overflow into the optional data, followed by
        # their check digit (ICAO 9303 part 5, note j).
        overflow = line1[15:30].split("<", 1)[0]
        if overflow:
            document_number, document_check = document_number + overflow[:-1], overflow[-1]
    fields_valid = _verify(document_number, document_check) and _verify(birth, line2[6]) and _verify(expiry, line2[14])
    composite_valid = _verify(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29], line2[29])
    if not (fields_valid or composite_valid):
        return None
    surname, given = _split_names(line3)
    data = MrzData(
        format="TD1",
        document_type=line1[0:2].strip("<"),
        issuing_country=line1[2:5].translate(_LETTER_FIXES).strip("<"),
        surname=surname,
        given_names=given,
        document_number=document_number.strip("<"),
        nationality=line2[15:18].translate(_LETTER_FIXES).strip("<"),
        birth_date=birth,
        sex=_SEX_CODES[line2[7]],
        expiry_date=expiry,
        composite_valid=composite_valid,
        optional_data=_optional(line1[15:30] if document_check != "<" else "", line2[18:29]),
        lines=(_letters_at(line1, 2), _letters_at(line2, 15), line3),
    )
    return data, fields_valid


def _found(region: _Compact, start: int, end: int, decoded: tuple[MrzData, bool] | None) -> _Found | None:
    if decoded is None:
        return None
    data, fields_valid = decoded
    return _Found(data, region.offsets[start], region.offsets[end - 1] + 1, fields_valid)


def _scan_region(region: _Compact) -> list[_Found]:
    text = region.text
    found: list[_Found | None] = []
    two_line: tuple[tuple[MrzFormat, re.Pattern[str]], ...] = (("TD3", _TD3_LINE2_RE), ("TD2", _TD2_LINE2_RE))
    for fmt, pattern in two_line:
        length = _LINE_LENGTH[fmt]
        for match in pattern.finditer(text):
            data_start = match.start()
            data_end = data_start + length
            line1_start = _name_line_before(region, data_start, length)
            if line1_start is not None:
                decoded = _decode_two_line(fmt, text[line1_start:data_start], text[data_start:data_end])
                found.append(_found(region, line1_start, data_end, decoded))
                continue
            # OCR sometimes returns the two lines of a photographed page bottom first.
            line1_end = _name_line_after_data(region, data_end, length)
            if line1_end is not None:
                decoded = _decode_two_line(fmt, text[data_end:line1_end], text[data_start:data_end])
                found.append(_found(region, data_start, line1_end, decoded))
    for match in _TD1_LINES12_RE.finditer(text):
        line1_start = match.start()
        line3_start = line1_start + 60
        line3_end = _name_line_after(region, line3_start, 30)
        if line3_end is None:
            continue
        decoded = _decode_td1(
            text[line1_start : line1_start + 30],
            text[line1_start + 30 : line3_start],
            text[line3_start:line3_end],
        )
        found.append(_found(region, line1_start, line3_end, decoded))
    return [item for item in found if item is not None]


def _find_mrzs(text: str) -> list[_Found]:
    """All non-overlapping valid MRZs in reading order.

    Overlaps happen when a TD3 data line also fits the shorter TD2 layout; the stronger
    (composite-valid, then more specific format) reading wins.
    """
    candidates = [item for region in _compact_regions(text) for item in _scan_region(region)]
    candidates.sort(key=lambda f: (not f.data.composite_valid, _FORMAT_PRIORITY[f.data.format], f.start))
    chosen: list[_Found] = []
    for candidate in candidates:
        if all(candidate.end <= other.start or candidate.start >= other.end for other in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda f: f.start)


_LAYOUT_LINE = re.compile(r"(?m)^[ \t]*([A-Z0-9<][A-Z0-9< \t]{24,60}[A-Z0-9<])[ \t]*$")
_LAYOUT_WIDTH = range(26, 49)
"""A TD1 line is 30 characters, TD3 44; OCR adds or drops a few fillers (and splits lines with spaces)."""
_LAYOUT_HEADER = re.compile(r"[PIACV][A-Z<][A-Z<]{3}")
_LAYOUT_CORE = re.compile(r"(\d{6})\d?[MFX<]\d{6}")
"""Birth date, its check digit (a forged or misprinted zone may lack it), sex, expiry date."""
_LAYOUT_FILLERS = re.compile(r"[<K]{3,}")
_LAYOUT_TD12_NUMBER = re.compile(r"(?P<number>[A-Z0-9<]{5,9})\d?[A-Z<]{3}\d{6}")
_LAYOUT_TD1_NUMBER = re.compile(r"[ACI][A-Z<][A-Z<]{3}(?P<number>[A-Z0-9<]{5,9})")
_LAYOUT_MAX_SPREAD = 6
"""OCR miscounts filler runs: the lines of one zone may differ this much in length."""
_LAYOUT_MAX_GAP = 2
"""Line breaks allowed between two lines of one zone: OCR may put one blank line between them."""


@dataclass(frozen=True)
class MrzLayout:
    """An MRZ by its layout alone: the lines are there, the check digits do not hold.

    OCR damage to two fields, or a misprinted zone, fails the checks; the zone still says an
    identity document was uploaded, and its leading field still holds the document number.
    """

    document_number: str
    start: int
    end: int


def _compact(line: str) -> str:
    return "".join(line.split())


def _layout_lines(text: str) -> list[list[re.Match[str]]]:
    """Runs of consecutive MRZ-alphabet lines of similar length, two or three to a run."""
    runs: list[list[re.Match[str]]] = []
    for line in _LAYOUT_LINE.finditer(text):
        if len(_compact(line.group(1))) not in _LAYOUT_WIDTH:
            continue
        last = runs[-1] if runs else None
        if (
            last is not None
            and len(last) < 3
            and text.count("\n", last[-1].end(1), line.start(1)) <= _LAYOUT_MAX_GAP
            and not text[last[-1].end(1) : line.start(1)].strip()
            and abs(len(_compact(line.group(1))) - len(_compact(last[0].group(1)))) <= _LAYOUT_MAX_SPREAD
        ):
            last.append(line)
        else:
            runs.append([line])
    return [run for run in runs if len(run) >= 2]


def _layout_number(lines: list[str]) -> str:
    """The document number: TD2/TD3 open their data line with it, TD1 its header line."""
    header = next((i for i, line in enumerate(lines) if _LAYOUT_HEADER.match(line)), None)
    for i, line in enumerate(lines):
        if i != header and (found := _LAYOUT_TD12_NUMBER.match(line)):
            return found["number"].strip("<")
    found = _LAYOUT_TD1_NUMBER.match(lines[header]) if header is not None else None
    return found["number"].strip("<") if found else ""


def find_mrz_layouts(text: str, valid: Sequence[tuple[int, int]] | None = None) -> list[MrzLayout]:
    """Zones that have an MRZ's layout but fail its check digits (valid ones are left to
    :func:`find_mrzs`; ``valid`` passes their spans where the caller has them): a line opening
    with a document code and issuing state, a line with a plausible birth date, sex and expiry
    date, and a filler run; two or three lines of MRZ characters of about the same width."""
    if "<<<" not in text:
        return []
    if valid is None:
        valid = [(found.start, found.end) for found in _find_mrzs(text)]
    layouts = []
    for run in _layout_lines(text):
        lines = [_compact(match.group(1)) for match in run]
        core = next((m for line in lines if (m := _LAYOUT_CORE.search(line))), None)
        if (
            core is None
            or not _plausible_date(core.group(1))
            or not any(_LAYOUT_HEADER.match(line) for line in lines)
            or not any(_LAYOUT_FILLERS.search(line) for line in lines)
        ):
            continue
        start, end = run[0].start(1), run[-1].end(1)
        if any(start < b and a < end for a, b in valid):
            continue
        layouts.append(MrzLayout(_layout_number(lines), start, end))
    return layouts


def find_mrzs(text: str) -> list[tuple[MrzData, int, int]]:
    """Every valid MRZ in ``text`` with its character span, in reading order."""
    return [(found.data, found.start, found.end) for found in _find_mrzs(text)]


def mrz_quality(text: str) -> int:
    """How well ``text`` holds an MRZ: 3 composite check valid, 2 field checks valid, 1 two of
    three field checks, 0 none. Lets OCR choose between two reads of the same zone."""
    best = 0
    for found in _find_mrzs(text):
        best = max(best, 3 if found.data.composite_valid else 2 if found.fields_valid else 1)
    return best


def parse_mrz(text: str) -> MrzData | None:
    """Decode the first valid MRZ in ``text`` (raw OCR output is fine), or ``None``."""
    found = _find_mrzs(text)
    return found[0].data if found else None


class MrzRecognizer(OwnRecognizer):
    """Finds ICAO 9303 TD1/TD2/TD3 machine readable zones validated by check digits.

    The composite check digit covers every other check digit, so a valid composite means
    an intact MRZ (score 1.0); valid field checks alone still mean a real MRZ whose
    composite was damaged by OCR (score 0.85). A zone whose layout holds but whose checks fail
    (damage to two fields, a misprinted specimen) is still an identity document (score 0.5).
    """

    name: str  # set by EntityRecognizer; declared because mypy cannot infer it there

    ENTITY = "MRZ"
    SCORE_COMPOSITE_VALID = 1.0
    SCORE_FIELDS_VALID = 0.85
    SCORE_PARTLY_VALID = 0.6
    SCORE_LAYOUT_ONLY = 0.5

    def find(self, text: str) -> list[RecognizerResult]:
        """Return one result per MRZ, spanning from its first to its last line."""
        results: list[RecognizerResult] = []
        valid = _find_mrzs(text)
        for found in valid:
            composite = found.data.composite_valid
            if composite:
                score = self.SCORE_COMPOSITE_VALID
            else:
                score = self.SCORE_FIELDS_VALID if found.fields_valid else self.SCORE_PARTLY_VALID
            explanation = AnalysisExplanation(
                recognizer=self.name,
                original_score=score,
                validation_result=True,
                textual_explanation=(
                    f"{found.data.format} MRZ, "
                    + (
                        "composite check digit valid"
                        if composite
                        else "field check digits valid"
                        if found.fields_valid
                        else "two of three field check digits valid"
                    )
                ),
            )
            results.append(self.result(found.start, found.end, score, explanation=explanation))
        for layout in find_mrz_layouts(text, [(found.start, found.end) for found in valid]):
            explanation = AnalysisExplanation(
                recognizer=self.name,
                original_score=self.SCORE_LAYOUT_ONLY,
                textual_explanation="MRZ layout, check digits failed",
            )
            results.append(self.result(layout.start, layout.end, self.SCORE_LAYOUT_ONLY, explanation=explanation))
        return results
