"""Cheap gates for phrase rules: the literal text a regular expression cannot match without.

A phrase rule's patterns each run over the whole normalised document; on a 200-page
contract most of them cannot match at all, because a word they require ("yourself",
"address", "nudes") is nowhere in it. :func:`necessary_literals` reads a compiled
pattern's parse tree and returns a set of strings of which every match must contain
at least one; :class:`LiteralGate` skips the pattern when none occurs in the text.
The gate is exact: a skipped pattern could not have matched, so verdicts do not change,
only the time spent finding nothing.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

Literals = frozenset[str]

_REPEATS = frozenset({_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)})
_ZERO_WIDTH = frozenset({_c.AT})


def _quality(literals: Literals) -> tuple[int, int]:
    """Longer shortest literal first (rarer in text), then fewer alternatives."""
    return (min(len(s) for s in literals), -len(literals))


def _best(candidates: list[Literals]) -> Literals | None:
    usable = [c for c in candidates if c and all(c_ for c_ in c)]
    return max(usable, key=_quality) if usable else None


def _sequence(items: Any, ignore_case: bool) -> Literals | None:
    """Necessary literals of a concatenation: the best of its literal runs and its parts."""
    if ignore_case:
        return None
    candidates: list[Literals] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            candidates.append(frozenset({"".join(run)}))
            run.clear()

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        if op in _ZERO_WIDTH:
            continue  # \b, ^, $ consume nothing: the characters either side stay adjacent
        close_run()
        found = _element(op, av, ignore_case)
        if found is not None:
            candidates.append(found)
    close_run()
    return _best(candidates)


def _element(op: Any, av: Any, ignore_case: bool) -> Literals | None:
    if op is _c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return _sequence(sub, ignore_case or bool(add_flags & _c.SRE_FLAG_IGNORECASE))
    if op is _c.BRANCH:
        branches = [_sequence(branch, ignore_case) for branch in av[1]]
        if any(b is None for b in branches):
            return None  # one branch needs nothing, so the alternation needs nothing
        return frozenset().union(*[b for b in branches if b is not None])
    if op in _REPEATS:
        low, _high, sub = av
        return _sequence(sub, ignore_case) if low >= 1 else None
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av, ignore_case)
    return None  # classes, wildcards, look-arounds, back references: no literal known


@functools.lru_cache(maxsize=4096)
def necessary_literals(pattern: re.Pattern[str]) -> Literals | None:
    """Strings of which every match of ``pattern`` contains one, or None when none is known
    (case-insensitive patterns included: their literals would need folding)."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # a parser detail changed: no gate, the pattern simply always runs
        return None
    return _sequence(parsed, False)


_NEWLINE = ord("\n")
_CATEGORIES_WITH_NEWLINE = frozenset(
    {_c.CATEGORY_SPACE, _c.CATEGORY_NOT_DIGIT, _c.CATEGORY_NOT_WORD, _c.CATEGORY_LINEBREAK}
)
_STRING_ANCHORS = frozenset({_c.AT_BEGINNING_STRING, _c.AT_END_STRING})


def _set_has_newline(items: Any) -> bool:
    negate = False
    hit = False
    for op, av in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            hit = hit or av == _NEWLINE
        elif op is _c.RANGE:
            hit = hit or av[0] <= _NEWLINE <= av[1]
        elif op is _c.CATEGORY:
            hit = hit or av in _CATEGORIES_WITH_NEWLINE
        else:
            return True  # unknown item: assume the worst
    return hit != negate


def _crosses_lines(items: Any, dotall: bool) -> bool:
    """Whether any part of the parsed pattern can consume or look at a line break."""
    for op, av in items:
        if op is _c.LITERAL:
            if av == _NEWLINE:
                return True
        elif op is _c.NOT_LITERAL:
            if av != _NEWLINE:
                return True
        elif op is _c.ANY:
            if dotall:
                return True
        elif op is _c.IN:
            if _set_has_newline(av):
                return True
        elif op is _c.CATEGORY:
            if av in _CATEGORIES_WITH_NEWLINE:
                return True
        elif op is _c.AT:
            if av in _STRING_ANCHORS:
                return True
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            local = (dotall or bool(add_flags & _c.SRE_FLAG_DOTALL)) and not del_flags & _c.SRE_FLAG_DOTALL
            if _crosses_lines(sub, local):
                return True
        elif op is _c.BRANCH:
            if any(_crosses_lines(branch, dotall) for branch in av[1]):
                return True
        elif op in _REPEATS:
            if _crosses_lines(av[2], dotall):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _crosses_lines(av[1], dotall):
                return True
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            if _crosses_lines(av, dotall):
                return True
        elif op is _c.GROUPREF:
            continue  # repeats what a group of this pattern matched, which stays within a line
        else:
            return True  # conditional groups and anything new: assume it may
    return False


@functools.lru_cache(maxsize=4096)
def line_local(pattern: re.Pattern[str]) -> bool:
    """Whether every match of ``pattern`` lies within one line and depends on that line only,
    so running it line by line (``finditer(text, line_start, line_end)``) finds the same
    matches. Needs MULTILINE (``^``/``$`` at line ends) and nothing that matches a line break."""
    if not pattern.flags & re.MULTILINE:
        return False
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:
        return False
    return not _crosses_lines(parsed, bool(pattern.flags & re.DOTALL))


class LiteralGate:
    """Remembers each pattern's necessary literals; ``may_match`` answers for a text, and
    ``lines`` says on which lines of a text a line-local pattern can match."""

    def __init__(self) -> None:
        self._literals: dict[re.Pattern[str], Literals | None] = {}
        self._line_local: dict[re.Pattern[str], bool] = {}

    def literals(self, pattern: re.Pattern[str]) -> Literals | None:
        if pattern not in self._literals:
            self._literals[pattern] = necessary_literals(pattern)
        return self._literals[pattern]

    def may_match(self, pattern: re.Pattern[str], text: str) -> bool:
        literals = self.literals(pattern)
        return literals is None or any(literal in text for literal in literals)

    def lines(self, pattern: re.Pattern[str], text: str, starts: list[int]) -> list[int] | None:
        """Indexes of the lines (starting at ``starts``) holding a necessary literal, or None
        when the pattern must run over the whole text (no literal known, or not line-local)."""
        literals = self.literals(pattern)
        if literals is None:
            return None
        if pattern not in self._line_local:
            self._line_local[pattern] = line_local(pattern)
        if not self._line_local[pattern]:
            return None
        found: set[int] = set()
        for literal in literals:
            at = text.find(literal)
            while at != -1:
                line = bisect.bisect_right(starts, at) - 1
                found.add(line)
                # the next line's start: the literal may occur again on it
                at = text.find(literal, starts[line + 1]) if line + 1 < len(starts) else -1
        return sorted(found)
