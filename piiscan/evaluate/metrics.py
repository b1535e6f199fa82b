"""Matching found values against labels, and the figures GUIDE section 5 asks for.

Values are compared after a per-type normalisation, because OCR and recognizers format
the same number or name differently (``+1 (217) 555-0147`` vs ``217-555-0147``). Matching
is by entity type, page and normalised value, in three passes, each label used once:

1. equal normalised values;
2. for names and places (PERSON, LOCATION, STREET_ADDRESS): one value contains the other
   on word boundaries and the shorter is at least 60% of the longer (a middle initial, a
   trailing city);
3. split labels: a found value may account for several labels it contains when together they
   make up at least 60% of it. The labels split what one finding reports as a whole: MRZ
   lines labelled one by one, an address labelled as street and city, a name labelled per field,
   a phone number labelled per OCR word. A finding that covers two or more labels is matched so
   before pass 2, which would otherwise pair it with the longest of them alone.

A LOCATION label may also be matched by a STREET_ADDRESS finding: the peer corpus uses
Presidio's vocabulary, where a postal address is a LOCATION. Identity numbers are one type,
ID_NUMBER: the peer corpus labels most of them generically (a passport number, a MyKad number,
a USCIS number) and a few by country (IN_AADHAAR, UK_PASSPORT), while piiscan reports the
documented national formats by their own types. Labels and findings of every identity-number
type (ID_DOCUMENT_TYPES) are folded into ID_NUMBER before matching, and an ID_NUMBER label may
also be matched by a US_PASSPORT or US_DRIVER_LICENSE finding (types evaluated on their own too).

Findings of types that are not evaluated on a corpus are ignored, not counted as false
positives: a corpus that never labels a type cannot say whether finding it was right.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from piiscan.evaluate.datasets import Entity

NAME_LIKE = frozenset({"PERSON", "LOCATION", "STREET_ADDRESS"})
SPLIT_LABEL_TYPES = NAME_LIKE | {"MRZ", "PHONE_NUMBER"}
ALIASES: dict[str, tuple[str, ...]] = {
    "LOCATION": ("STREET_ADDRESS",),
    "ID_NUMBER": ("US_PASSPORT", "US_DRIVER_LICENSE"),
}
"""Expected type -> other found types that may match it."""
ALIAS_REASONS = {
    "LOCATION": "a postal address is a LOCATION in Presidio's vocabulary",
    "ID_NUMBER": "a passport or licence number is an identity number",
}
ID_NUMBER = "ID_NUMBER"
ID_DOCUMENT_TYPES = frozenset(
    {
        "ID_NUMBER", "HK_ID_CARD", "IN_AADHAAR", "IN_PAN", "IT_FISCAL_CODE", "IT_IDENTITY_CARD", "IT_PASSPORT",
        "IT_DRIVER_LICENSE", "UK_PASSPORT", "DE_ID_CARD", "DE_PASSPORT", "ES_NIF", "ES_NIE", "ES_PASSPORT",
    }
)  # fmt: skip
"""National identity numbers and the numbers of identity documents: evaluated as one type, ID_NUMBER."""
OWN_TYPES = frozenset({"MRZ", "STREET_ADDRESS", "GPS_COORDINATES", ID_NUMBER})
"""piiscan's own entity types, supported even when the detector is not asked for its list."""
MIN_SHARE = 0.6

VERDICT_ORDER = (
    "clean",
    "personal_data",
    "own_data",
    "third_party_data",
    "sensitive_document",
    "abusive",
    "illegal",
    "error",
)

_NON_WORD = re.compile(r"[\W_]+")
_WHITESPACE = re.compile(r"\s+")
_FILLERS = re.compile(r"<+")
_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)\s*°?\s*([NSEWnsew](?![A-Za-z]))?")


def fold_type(entity_type: str) -> str:
    """The type a label or finding is evaluated as: every identity-number type is ID_NUMBER."""
    return ID_NUMBER if entity_type in ID_DOCUMENT_TYPES else entity_type


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _words(text: str) -> str:
    """Words case- and accent-folded: a name is the same name read without its accents (OCR reads an
    accented capital as a plain one), as piiscan's own evidence keys compare names."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", plain).strip().casefold()


def _mrz(text: str) -> str:
    """OCR reads the ``<`` filler as ``K`` or ``«`` and miscounts long runs of it, and mixes up
    ``O`` (or ``Q``) and ``0``; none of that makes it another MRZ (its check digits were verified),
    so it is evened out on both sides."""
    compact = _WHITESPACE.sub("", text).upper().replace("«", "<").replace("K", "<").replace("O", "0").replace("Q", "0")
    return _FILLERS.sub("<", compact)


def _gps_numbers(text: str) -> list[str]:
    """Every number in ``text`` rounded to 4 decimals, negative when followed by S or W."""
    values = []
    for number, hemisphere in _NUMBER.findall(text):
        value = float(number)
        if hemisphere.upper() in ("S", "W"):
            value = -abs(value)
        values.append(f"{round(value, 4) + 0.0:.4f}")  # + 0.0 turns -0.0 into 0.0
    return values


def _gps(text: str) -> str | None:
    values = _gps_numbers(text)
    return ",".join(values[:2]) if len(values) >= 2 else None


def normalise(entity_type: str, text: str) -> str:
    """The form in which two values of ``entity_type`` are compared; "" means nothing comparable."""
    text = unicodedata.normalize("NFKC", text)
    if entity_type in ("CREDIT_CARD", "US_SSN"):
        return _digits(text)
    if entity_type == "PHONE_NUMBER":
        return _digits(text)[-10:]
    if entity_type == "IBAN_CODE":
        return "".join(c for c in text if c.isalnum()).upper()
    if entity_type in ("EMAIL_ADDRESS", "IP_ADDRESS"):
        return _WHITESPACE.sub("", text).lower()
    if entity_type in NAME_LIKE:
        return _words(text)
    if entity_type == "MRZ":
        return _mrz(text)
    if entity_type == "GPS_COORDINATES":
        gps = _gps(text)
        if gps is not None:
            return gps
    return _NON_WORD.sub("", text).casefold()


def _contains(entity_type: str, long: str, short: str) -> bool:
    if entity_type not in NAME_LIKE:
        return short in long
    return f" {short} " in f" {long} "


def fuzzy_equal(entity_type: str, a: str, b: str) -> bool:
    """Pass 2: word-bounded containment with the shorter value at least 60% of the longer."""
    if entity_type not in NAME_LIKE or not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return len(short) >= MIN_SHARE * len(long) and _contains(entity_type, long, short)


def value_in_text(entity_type: str, value: str, text: str) -> bool:
    """Whether the extracted text holds the value at all: tells OCR losses from recognizer gaps."""
    norm = normalise(entity_type, value)
    if not norm:
        return False
    if entity_type in ("CREDIT_CARD", "US_SSN", "PHONE_NUMBER"):
        return norm in _digits(text)
    if entity_type == "IBAN_CODE":
        return norm in "".join(c for c in text if c.isalnum()).upper()
    if entity_type in ("EMAIL_ADDRESS", "IP_ADDRESS"):
        return norm in text.lower()  # a space OCR put inside an address is a reading error
    if entity_type in NAME_LIKE:
        return _contains(entity_type, _words(text), norm)
    if entity_type == "MRZ":
        return norm in _mrz(text)
    if entity_type == "GPS_COORDINATES" and "," in norm:
        rounded = set(_gps_numbers(text))
        return all(part in rounded for part in norm.split(","))
    return norm in _NON_WORD.sub("", text).casefold()


@dataclass(slots=True)
class ItemMatch:
    """The outcome for one file: indices into its expected and found lists."""

    pairs: list[tuple[int, int]] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)
    false: list[int] = field(default_factory=list)


def dedupe(found: Sequence[Entity]) -> list[Entity]:
    """One finding per (type, normalised value, page): for corpora that label each value once a page."""
    seen: set[tuple[str, str, int]] = set()
    out = []
    for f in found:
        key = (f.entity_type, normalise(f.entity_type, f.text), f.page)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _compatible(expected_type: str, found_type: str, alias: bool) -> bool:
    return found_type in ALIASES.get(expected_type, ()) if alias else found_type == expected_type


def match(expected: Sequence[Entity], found: Sequence[Entity], evaluated: Iterable[str]) -> ItemMatch:
    """Match one file's findings to its labels (see the module docstring for the passes).

    Only labels of ``evaluated`` types are considered; only findings of evaluated types can be
    false positives (alias types such as STREET_ADDRESS for LOCATION may match but never count).
    """
    types = frozenset(evaluated)
    usable = types | {a for t in types for a in ALIASES.get(t, ())}
    exp = [(i, e, normalise(e.entity_type, e.text)) for i, e in enumerate(expected) if e.entity_type in types]
    fnd = [(j, f, normalise(f.entity_type, f.text)) for j, f in enumerate(found) if f.entity_type in usable]
    exp = [x for x in exp if x[2]]
    done_e: set[int] = set()
    used_f: set[int] = set()
    out = ItemMatch()

    def one_to_one(same: bool) -> None:
        for alias in (False, True):
            for i, e, en in exp:
                if i in done_e:
                    continue
                best: tuple[float, int] | None = None
                for j, f, fn in fnd:
                    if j in used_f or f.page != e.page or not fn:
                        continue
                    if not _compatible(e.entity_type, f.entity_type, alias):
                        continue
                    if same and fn == en:
                        best = (1.0, j)
                        break
                    if not same and fuzzy_equal(e.entity_type, en, fn):
                        share = min(len(en), len(fn)) / max(len(en), len(fn))
                        if best is None or share > best[0]:
                            best = (share, j)
                if best is not None:
                    done_e.add(i)
                    used_f.add(best[1])
                    out.pairs.append((i, best[1]))

    def split_labels(least: int) -> None:
        """Pass 3: a finding that covers at least ``least`` split labels (longest findings first)."""
        for j, f, fn in sorted(fnd, key=lambda x: -len(x[2])):
            if j not in used_f and fn:
                cover(j, f, fn, least)

    def cover(j: int, f: Entity, fn: str, least: int) -> None:
        covered: dict[str, int] = {}
        for i, e, en in exp:
            if i in done_e or e.page != f.page or e.entity_type not in SPLIT_LABEL_TYPES or en in covered:
                continue
            if f.entity_type != e.entity_type and f.entity_type not in ALIASES.get(e.entity_type, ()):
                continue
            if _contains(e.entity_type, fn, en):
                covered[en] = i
        # The covered labels plus one separator between each must make up 60% of the finding.
        if len(covered) >= least and sum(len(en) for en in covered) + len(covered) - 1 >= MIN_SHARE * len(fn):
            used_f.add(j)
            for i in covered.values():
                done_e.add(i)
                out.pairs.append((i, j))

    one_to_one(same=True)
    # A finding that is several split labels at once ("Jane Roe" for the labels "Jane" and "Roe")
    # matches them all before pass 2 could pair it with the longest of them alone.
    split_labels(least=2)
    one_to_one(same=False)
    split_labels(least=1)
    out.pairs.sort()
    out.missed = [i for i, _, _ in exp if i not in done_e]
    out.false = [j for j, f, _ in fnd if j not in used_f and f.entity_type in types]
    return out


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """2TP / (2TP + FP + FN): defined whenever there is anything to count."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else None

    def __iadd__(self, other: Counts) -> Counts:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self


def item_counts(expected: Sequence[Entity], found: Sequence[Entity], result: ItemMatch) -> dict[str, Counts]:
    """Per-type TP/FP/FN of one file: TP and FN by the label's type, FP by the finding's."""
    counts: dict[str, Counts] = defaultdict(Counts)
    for i, _ in result.pairs:
        counts[expected[i].entity_type].tp += 1
    for i in result.missed:
        counts[expected[i].entity_type].fn += 1
    for j in result.false:
        counts[found[j].entity_type].fp += 1
    return dict(counts)


def add_counts(total: dict[str, Counts], part: dict[str, Counts]) -> None:
    for entity_type, counts in part.items():
        total.setdefault(entity_type, Counts()).__iadd__(counts)


def micro(counts: dict[str, Counts], types: Iterable[str]) -> Counts:
    """Micro-average: the counts of ``types`` summed, so frequent types weigh more."""
    total = Counts()
    for entity_type in types:
        total += counts.get(entity_type, Counts())
    return total


def evaluated_types(labelled: Iterable[str], supported: Iterable[str]) -> list[str]:
    """Types labelled in the corpus that piiscan can detect at all; the rest are reported apart."""
    return sorted(set(labelled) & (set(supported) | OWN_TYPES))


def confusion(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Expected verdict -> actual verdict -> files."""
    matrix: dict[str, dict[str, int]] = {}
    for expected, actual in pairs:
        row = matrix.setdefault(expected, {})
        row[actual] = row.get(actual, 0) + 1
    return matrix


def verdict_labels(matrix: dict[str, dict[str, int]]) -> list[str]:
    seen = set(matrix) | {a for row in matrix.values() for a in row}
    return [v for v in VERDICT_ORDER if v in seen] + sorted(seen - set(VERDICT_ORDER))


def flagged(verdict: str) -> bool:
    return verdict not in ("clean", "error")


def clean_flagged(pairs: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """(flagged, total) over the files expected clean: the false alarms an uploader would see."""
    verdicts = [actual for expected, actual in pairs if expected == "clean"]
    return sum(flagged(v) for v in verdicts), len(verdicts)


def accuracy(pairs: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """(exact verdict matches, files with an expected verdict)."""
    items = list(pairs)
    return sum(e == a for e, a in items), len(items)


def share(part: Sequence[int]) -> float | None:
    """``(hits, total)`` as a fraction; None when there is nothing to divide."""
    hit, total = part
    return hit / total if total else None


def type_counter(entities: Iterable[Entity]) -> Counter[str]:
    return Counter(e.entity_type for e in entities)
