"""Threats, harassment and hate in extracted text: curated phrase rules plus a classifier.

Two kinds of evidence, because neither is enough alone:

* **Phrase rules** (``type: phrase`` in the packs): regular expressions for the shapes of
  threats ("I will hurt you", "I know where you live"), harassment (incitement to
  self-harm, pile-ons, sextortion, insults aimed at "you") and hate (a group named with a
  dehumanising or eliminationist predicate), each with an id and a reason.
* **The classifier** (``type: classifier``): ``alt-profanity-check``, a linear SVM over a
  TF-IDF bag of words that ships its model inside the wheel (no download). It scores
  offensive *language*, not intent: it misses threats in plain words and fires on
  profanity about the weather, so it only counts on sentences aimed at someone.

Text is cut into sentences and normalised (lower case, straight quotes, contractions and
chat spellings expanded) before matching. A match does not count in a context a pack
marks as a *suppressor*: inside quotation marks attributed by a speech verb (fiction,
quoted reports), a news report or a court record, a video game. The limits of this are
stated in the packs and in the project's notes: sarcasm, coded language and threats
without the usual words get through; a real threat quoted in a story is not flagged.
"""

from __future__ import annotations

import bisect
import importlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from piiscan.rules.loader import RuleSet
from piiscan.rules.prefilter import LiteralGate
from piiscan.rules.schema import ClassifierRule, PhraseRule

_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201b": "'", "`": "'", "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"'}
)
_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bwon't\b", "will not"),
        (r"\bcan't\b", "can not"),
        (r"\bshan't\b", "shall not"),
        (r"\bain't\b", "is not"),
        (r"\blet's\b", "let us"),
        (r"\by'all\b", "you all"),
        (r"\b(here|there|that|it|he|she|what|who|where)'s\b", r"\1 is"),
        (r"(?<=[a-z])n't\b", " not"),
        (r"(?<=[a-z])'ll\b", " will"),
        (r"(?<=[a-z])'re\b", " are"),
        (r"(?<=[a-z])'m\b", " am"),
        (r"(?<=[a-z])'ve\b", " have"),
        (r"(?<=[a-z])'d\b", " would"),
    )
)
_CHAT = {
    "u": "you",
    "ur": "your",
    "ya": "you",
    "yall": "you all",
    "r": "are",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "im": "i am",
    "imma": "i am going to",
    "ima": "i am going to",
    "youre": "you are",
    "dont": "do not",
    "didnt": "did not",
    "thats": "that is",
    "ppl": "people",
}
_CHAT_RE = re.compile(r"\b(" + "|".join(_CHAT) + r")\b")
_SPACES = re.compile(r"\s+")
# A sentence ends at . ! or ? (with closing quotes or brackets) before a capital, a digit
# or an opening quote, or at a blank line.
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]*[A-Z0-9])|\n[ \t]*\n")
_DOUBLE_QUOTE = re.compile(r'"')
_SINGLE_OPEN = re.compile(r"(?:^|(?<=[\s(\[:,;-]))'")
_SINGLE_CLOSE = re.compile(r"'(?=$|[\s.,;:!?)\]-])")


_LINE_SPACES = re.compile(r"[^\S\n]+")
_NORMALISE_GATE = LiteralGate()


def _normalise_lines(text: str) -> str:
    """:func:`normalise` for many lines at once (every pass runs once over the whole text)."""
    out = text.lower().translate(_QUOTES)
    for pattern, replacement in _CONTRACTIONS:
        if _NORMALISE_GATE.may_match(pattern, out):  # most texts hold few apostrophes
            out = pattern.sub(replacement, out)
    out = _CHAT_RE.sub(lambda m: _CHAT[m.group(1)], out)
    return _LINE_SPACES.sub(" ", out)


def normalise(text: str) -> str:
    """Lower case, straight quotes, contractions and chat spellings expanded, single spaces."""
    return _SPACES.sub(" ", _normalise_lines(text)).strip()


def _lines(piece: str) -> list[str]:
    """Split at line breaks, except where a line was merely wrapped (it ends in a letter or
    a comma and the next starts in lower case): chat messages and list items are separate."""
    out: list[str] = []
    for line in piece.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if out and (out[-1][-1].isalpha() or out[-1][-1] == ",") and stripped[0].islower():
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped)
    return out


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        sentences.extend(_lines(text[start : match.end()]))
        start = match.end()
    sentences.extend(_lines(text[start:]))
    return sentences


def quote_spans(norm: str) -> tuple[tuple[int, int], ...]:
    """Spans of quoted speech in a normalised sentence; an unclosed quote runs to the end."""
    if '"' not in norm and "'" not in norm:
        return ()  # most sentences quote nothing: two membership tests instead of regex passes
    spans: list[tuple[int, int]] = []
    doubles = [m.start() for m in _DOUBLE_QUOTE.finditer(norm)]
    for i in range(0, len(doubles), 2):
        spans.append((doubles[i], doubles[i + 1] + 1 if i + 1 < len(doubles) else len(norm)))
    pos = 0
    while True:
        opening = _SINGLE_OPEN.search(norm, pos)
        if opening is None:
            break
        closing = _SINGLE_CLOSE.search(norm, opening.end())
        end = closing.end() if closing else len(norm)
        spans.append((opening.start(), end))
        pos = end
    return tuple(sorted(spans))


@dataclass(frozen=True, slots=True)
class Sentence:
    page: int
    text: str
    norm: str
    quotes: tuple[tuple[int, int], ...]

    def quote_around(self, start: int, end: int) -> tuple[int, int] | None:
        return next((q for q in self.quotes if q[0] <= start and end <= q[1]), None)


def sentences_of(pages: Iterable[tuple[int, str]]) -> list[Sentence]:
    raw = [(page, sentence) for page, text in pages for sentence in split_sentences(text)]
    if not raw:
        return []
    # One sentence a line, normalised in one go: a 200-page document costs passes over one
    # string, not a dozen regex calls per sentence.
    joined = "\n".join(" ".join(sentence.split()) for _, sentence in raw)  # as _SPACES.sub, ends stripped
    normalised = _normalise_lines(joined).split("\n")
    out: list[Sentence] = []
    for (page, sentence), line in zip(raw, normalised, strict=True):
        norm = line.strip()
        if norm:
            out.append(Sentence(page, sentence, norm, quote_spans(norm)))
    return out


class TextClassifier(Protocol):
    """Scores texts from 0 (inoffensive) to 1 (offensive)."""

    def predict(self, texts: Sequence[str]) -> list[float]: ...


class ProfanityModel:
    """``alt-profanity-check``, loaded on first use (importing scikit-learn takes ~2 s)."""

    def __init__(self) -> None:
        self._predict: Callable[[list[str]], Sequence[float]] | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._predict is None:
                module = importlib.import_module("profanity_check")
                self._predict = module.predict_prob

    def predict(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        self.load()
        assert self._predict is not None
        return [float(p) for p in self._predict(list(texts))]


@dataclass(frozen=True, slots=True)
class AbuseMatch:
    rule_id: str
    page: int
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A match that did not count, and the context that neutralised it (for tests and notes)."""

    rule_id: str
    suppressor_id: str
    page: int


class AbuseDetector:
    """Runs the phrase and classifier rules of a rule set over extracted text."""

    def __init__(self, ruleset: RuleSet, classifier: TextClassifier | None = None) -> None:
        self.ruleset = ruleset
        self.classifier: TextClassifier = classifier if classifier is not None else ProfanityModel()
        self.suppressed: list[Suppressed] = []
        self._gate = LiteralGate()

    def _suppressor(self, sentence: Sentence, category: str, start: int, end: int) -> str | None:
        for suppressor in self.ruleset.suppressors:
            if not suppressor.applies(category):
                continue
            if suppressor.inside_quotes:
                quote = sentence.quote_around(start, end)
                if quote is None:
                    continue
                outside = f"{sentence.norm[: quote[0]]} {sentence.norm[quote[1] :]}"
                if suppressor.pattern.search(outside):
                    return suppressor.id
            elif suppressor.pattern.search(sentence.norm):
                return suppressor.id
        return None

    def find(self, pages: Iterable[tuple[int, str]], entity_types: Iterable[str] = ()) -> list[AbuseMatch]:
        """Every (rule, sentence) that counts; ``self.suppressed`` lists those that did not."""
        self.suppressed = []
        sentences = sentences_of(pages)
        if not sentences:
            return []
        present = set(entity_types)
        starts: list[int] = []
        offset = 0
        for sentence in sentences:
            starts.append(offset)
            offset += len(sentence.norm) + 1
        document = "\n".join(s.norm for s in sentences)
        matches: list[AbuseMatch] = []
        for rule in self.ruleset.of_type(PhraseRule):
            if rule.requires_entities and not present.intersection(rule.requires_entities):
                continue
            matches.extend(self._phrase(rule, document, starts, sentences))
        for rule in self.ruleset.of_type(ClassifierRule):
            matches.extend(self._classify(rule, sentences))
        return matches

    def _phrase(
        self, rule: PhraseRule, document: str, starts: list[int], sentences: list[Sentence]
    ) -> list[AbuseMatch]:
        found: dict[int, AbuseMatch] = {}
        for pattern in self.ruleset.patterns[rule.id]:
            if not self._gate.may_match(pattern, document):
                continue  # a word every match needs is absent: it cannot match (see prefilter)
            for match in self._matches(pattern, document, starts, sentences):
                index = bisect.bisect_right(starts, match.start()) - 1
                if index in found:
                    continue
                sentence = sentences[index]
                start = match.start() - starts[index]
                end = min(match.end() - starts[index], len(sentence.norm))
                suppressor = self._suppressor(sentence, rule.category, start, end)
                if suppressor:
                    self.suppressed.append(Suppressed(rule.id, suppressor, sentence.page))
                    continue
                found[index] = AbuseMatch(rule.id, sentence.page)
        return list(found.values())

    def _matches(
        self, pattern: re.Pattern[str], document: str, starts: list[int], sentences: list[Sentence]
    ) -> Iterator[re.Match[str]]:
        """The pattern's matches in document order, looked for only on the sentences that hold
        a word it needs when its matches cannot span sentences (the same matches, less text)."""
        lines = self._gate.lines(pattern, document, starts)
        if lines is None or len(lines) * 4 > len(sentences):
            yield from pattern.finditer(document)
            return
        for index in lines:
            yield from pattern.finditer(document, starts[index], starts[index] + len(sentences[index].norm))

    def _classify(self, rule: ClassifierRule, sentences: list[Sentence]) -> list[AbuseMatch]:
        target = self.ruleset.target
        candidates: list[Sentence] = []
        for sentence in sentences:
            start, end = 0, len(sentence.norm)
            if rule.require_target:
                aimed = target.search(sentence.norm) if target is not None else None
                if aimed is None:
                    continue
                start, end = aimed.span()
            suppressor = self._suppressor(sentence, rule.category, start, end)
            if suppressor:
                self.suppressed.append(Suppressed(rule.id, suppressor, sentence.page))
                continue
            candidates.append(sentence)
        threshold = self.ruleset.thresholds.abuse_min_probability
        scores = self.classifier.predict([s.text for s in candidates])
        return [
            AbuseMatch(rule.id, s.page, score)
            for s, score in zip(candidates, scores, strict=True)
            if score >= threshold
        ]
