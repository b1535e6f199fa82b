# ruff: noqa: RUF001, RUF002  (Cyrillic letters that look Latin are what this file is about)
"""A second read of identity documents that print names in a non-Latin script.

piiscan reads pages with the English model (and German, French or Spanish when the text says so),
which cannot read Devanagari, Cyrillic or Chinese: the holder's name printed in the country's own
script beside the Latin one comes out as noise or nothing. Reading every page with every script
would multiply the cost of every scan, so the first read decides: a page whose Latin text says it
is an identity document of a country that prints names in another script (AADHAAR, UKRAINE,
HONG KONG ... IDENTITY CARD) is read once more with that script's Tesseract model plus English.
Ordinary pages match no hint and pay nothing.

The English read stays the base (it reads Latin text best): a confident script word replaces the
English guesses at its place, script lines where English read nothing are added as the photo passes
add theirs (:func:`~piiscan.scanner.ocr_merge.merge_reads`), then two repairs specific to script pairs:

* CJK characters, which Tesseract reports one word each, are joined: the scripts use no spaces.
* A bilingual field printed ``CYRILLIC/LATIN`` keeps the Latin half from the English read, which
  reads Latin letters better, and a Cyrillic half read as look-alike Latin capitals is given its
  Cyrillic letters back (``OKCAHA/OKSANA`` is ``ОКСАНА/OKSANA``).

Tesseract's script detection (OSD) is not used: in-process it aborted the worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from piiscan.scanner.ocr_merge import WordLike, merge_reads, overlaps

W = TypeVar("W", bound=WordLike)

SCRIPT_PACKS: dict[str, tuple[str, ...]] = {
    "devanagari": ("mar",),
    "cyrillic": ("ukr",),
    "han": ("chi_tra",),
}
"""Tesseract packs a script is read with, the first installed one used (scripts/setup-system.sh and
the Dockerfile install them). Marathi's model reads the Devanagari of Aadhaar cards (names, not
Marathi words): on a sample card it found both printings of the name where Hindi's found one."""

_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    # India: Aadhaar cards print the holder's name in Devanagari above the Latin one
    (re.compile(r"\bAADHAAR\b|GOVERNMENT\s+OF\s+INDIA\b|UNIQUE\s+IDENTIFICATION\s+AUTHORITY", re.I), "devanagari"),
    # Ukraine: passports and ID cards print every field as 'CYRILLIC/LATIN'
    (re.compile(r"\bUKRAINE\b|\bYKPA[IЇ]HA\b", re.I), "cyrillic"),
    # Hong Kong: the identity card prints the Chinese name above the Latin one
    (re.compile(r"\bHONG\s+KONG\b(?=.*\bIDENTITY\s+CARD\b)", re.I | re.S), "han"),
)


def script_hint(text: str) -> str | None:
    """The script a page's own words say its names are printed in, besides Latin, or None."""
    for pattern, script in _HINTS:
        if pattern.search(text):
            return script
    return None


_SCRIPT_LETTERS: dict[str, re.Pattern[str]] = {
    "devanagari": re.compile(r"[\u0900-\u097f]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]"),
}
MIN_WORD_CONF = 55.0
"""Confidence a word in the script needs before it is taken from the script read."""


def adopt_script_words(base: Sequence[W], read: Sequence[W], script: str, relabel: Callable[[W, int], W]) -> list[W]:
    """``base`` with the words ``read`` (the script pack's read) wrote in ``script``.

    The English read stays the base: it reads Latin text best, and the script pack changes what it
    reads there (digits, capitals). A script word replaces the base words at its place when it was
    read with more confidence than any of them (the English model's guesses at a script it cannot
    read: two short words of Latin letters for a Devanagari name) or when it replaces one word of its length (see
    :func:`_lookalike`), keeping their line; the script words where the base
    read nothing are added line by line as :func:`~piiscan.scanner.ocr_merge.merge_reads` adds.
    """
    letters = _SCRIPT_LETTERS[script]
    words = list(base)
    lonely: list[W] = []
    for word in read:
        if word.conf < MIN_WORD_CONF or not letters.search(word.text):
            continue
        hit = [i for i, other in enumerate(words) if overlaps(other.box, word.box)]
        if not hit:
            lonely.append(word)
        elif max(words[i].conf for i in hit) < word.conf or _lookalike([words[i] for i in hit], word):
            at = hit[0]
            taken = replace(word, line=words[at].line)  # type: ignore[type-var]
            words = [w for i, w in enumerate(words) if i not in set(hit)]
            words.insert(at, taken)
    return merge_reads(words, lonely, relabel)


def _lookalike(base: Sequence[WordLike], word: WordLike) -> bool:
    """One base word of as many letters (give or take one), no digits: the English model's reading
    of a word in a script it cannot read, often confident (Cyrillic capitals look Latin: a name
    read 'NETPEHKO' at 90). Digits mean the base read something the script read missed."""
    if len(base) != 1 or any(ch.isdigit() for ch in base[0].text):
        return False
    return abs(len(base[0].text) - len(word.text)) <= 1


_CJK = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


def join_cjk(words: Sequence[W]) -> list[W]:
    """Consecutive words of one line made only of CJK characters joined into one word."""
    out: list[W] = []
    for word in words:
        last = out[-1] if out else None
        if last is not None and last.line == word.line and _CJK.match(last.text) and _CJK.match(word.text):
            out[-1] = replace(  # type: ignore[type-var]
                last, box=last.box.union(word.box), conf=min(last.conf, word.conf), text=last.text + word.text
            )
        else:
            out.append(word)
    return out


_PAIR = re.compile(r"^(?P<left>[^/\s]{2,})/(?P<right>[^/\s]{2,})$")
_LATIN_CAPS = re.compile(r"^[A-Z][A-Z'-]+$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LOOKALIKES = str.maketrans("ABCEHIKMOPTXY", "АВСЕНІКМОРТХУ")
_LOOKALIKE_CAPS = re.compile(r"^[ABCEHIKMOPTXY]+$")


def repair_pairs(words: Sequence[W], latin: Sequence[W]) -> list[W]:
    """Bilingual ``CYRILLIC/LATIN`` words repaired from the English read ``latin`` (see the module)."""
    out: list[W] = []
    for word in words:
        pair = _PAIR.match(word.text)
        if pair is not None:
            left, right = pair["left"], pair["right"]
            if not _LATIN_CAPS.match(right):
                right = _latin_half(word, latin) or right
            if _LOOKALIKE_CAPS.match(left) and _LATIN_CAPS.match(right) and left != right:
                left = left.translate(_LOOKALIKES)
            text = f"{left}/{right}"
            if text != word.text and _CYRILLIC.search(left) and _LATIN_CAPS.match(right):
                word = replace(word, text=text)  # type: ignore[type-var]
        out.append(word)
    return out


def _latin_half(word: WordLike, latin: Sequence[WordLike]) -> str | None:
    """The Latin half of the English read's slash word at the place of ``word``."""
    for other in latin:
        if "/" in other.text and overlaps(word.box, other.box):
            right = other.text.rsplit("/", 1)[1]
            if _LATIN_CAPS.match(right):
                return right
    return None
