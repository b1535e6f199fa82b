"""A spaCy NLP engine for Presidio that runs the neural NER only where a name can be.

spaCy's statistical NER is the cost of detection: on this machine about 100 ms for a
page of text, against a few milliseconds for every pattern recognizer together.
People and places are proper nouns, which English capitalises, so the NER runs on
the lines that hold a capitalised word other than the first one (or that are short,
like the name line of an address block), grouped with their neighbours for context.
Everything else gets only the tokenizer, which is all the pattern recognizers and the
context enhancer need. Lemmas come from a cheap lower-case-and-singular rule instead
of the tagger and lemmatizer, which only serve context words such as "cards".
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import numpy
import spacy
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans
from spacy.vocab import Vocab
from thinc.api import NumpyOps, set_current_ops

_QUOTES = "'\u2019"
_CAPITALISED = re.compile(rf"(?<![\w{_QUOTES}])[A-Z\u00c0-\u00d6\u00d8-\u00de][\w{_QUOTES}\-]+")
_WORD = re.compile(r"\S+")
_SENTENCE_END = re.compile('[.!?"\u201c\u2018(\u2022*\\-]$')
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Hr|Fr|Sra|Mme|Mlle|M)\.$")
_SHORT_LINE_WORDS = 4
_NER_PIPES = ("ner",)
# The shared "tok2vec" only feeds the tagger's and parser's listeners: the small model's NER
# embeds with its own, so running it cost 3 ms a page for identical entities.
_UNUSED_PIPES = ["tok2vec", "parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]


def ner_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the runs of lines that may hold a proper noun."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not _needs_ner(line):
            continue
        if spans and spans[-1][1] + 1 >= start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _needs_ner(line: str) -> bool:
    """A capitalised word that does not merely start a sentence, or a short line with one."""
    found = list(_CAPITALISED.finditer(line))
    if not found:
        return False
    # no letter that is not upper case (str.isupper skips uncased letters, hence the second test)
    if line.isupper() and (line.isascii() or all(ch.isupper() for ch in line if ch.isalpha())):
        return _caps_name_line(line)  # long headings and MRZs: no person there (names printed
        # under a label are LabelledNameRecognizer's); short lines are read truecased
    if len(_WORD.findall(line)) <= _SHORT_LINE_WORDS:
        return True
    for match in found:
        before = line[: match.start()].rstrip()
        starts_sentence = bool(_SENTENCE_END.search(before)) and not _HONORIFIC.search(before)
        if before and not starts_sentence and any(ch.isalpha() for ch in before):
            return True
    return False


_CAPS_WORD = re.compile(r"[A-Z\u00c0-\u00d6\u00d8-\u00de][A-Z\u00c0-\u00d6\u00d8-\u00de'\u2019\-]+\.?|[A-Z]\.")
_CAPS_LINE_MAX_WORDS = 4
_SEX_OR_DATE = re.compile(r"\[?[MFX]\]?|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")


def _caps_name_line(line: str) -> bool:
    """A short line of capitals only, two to four words: the way ID cards, forms and payslips
    print a holder's name ("CHRIS SMITH"). The small English model finds nobody in capitals,
    so such lines are handed to it truecased (see :func:`ner_piece`)."""
    words = [w for w in line.split() if any(ch.isalnum() for ch in w)]  # OCR specks ("@", "|") aside
    lead = 0
    while lead < len(words) and _CAPS_WORD.fullmatch(words[lead].strip(",")):
        lead += 1
    # a medical image's header may follow the name with sex and date: "KAUFMAN SCOTT [M] 05.09.2012"
    return 2 <= lead <= _CAPS_LINE_MAX_WORDS and all(_SEX_OR_DATE.fullmatch(w) for w in words[lead:])


def _in_caps_name_line(text: str, offset: int) -> bool:
    """Whether ``offset`` lies on a line :func:`ner_piece` truecased."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    return _caps_name_line(text[line_start : line_end if line_end >= 0 else len(text)])


def ner_piece(text: str) -> str:
    """``text`` as the NER reads it: short all-capital lines title-cased, every offset kept."""
    if not any(ch.isupper() for ch in text):
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line and _caps_name_line(line):
            titled = line.title()
            if len(titled) == len(line):
                lines[index] = titled
    return "\n".join(lines)


def fast_doc(vocab: Vocab, text: str) -> Doc:
    """Words and punctuation by regular expression, whitespace kept so offsets match the text.

    Six times cheaper than spaCy's tokenizer on a page; the tokens only serve context
    words around pattern matches and the alignment of NER spans.
    """
    return _tokenize(vocab, text)[0]


def _tokenize(vocab: Vocab, text: str) -> tuple[Doc, list[str], list[int]]:
    """The Doc plus its words and their offsets, read without building a Token per word
    (iterating a Doc creates Python objects; on a page that cost more than the NER).

    One ``findall`` splits the text: a word or punctuation mark with the single space after
    it (the token's trailing space), or a run of other whitespace (a token of its own). The
    pieces tile the text, so the offsets are running sums of their lengths."""
    found = _TOKEN_SPACE.findall(text)
    words = [word or run for word, _, run in found]
    spaces = [space == " " for _, space, _ in found]
    starts = list(accumulate((len(a) + len(b) + len(c) for a, b, c in found), initial=0))
    starts.pop()
    return Doc(vocab, words=words, spaces=spaces), words, starts


_TOKEN_SPACE = re.compile(r"(\w+|[^\w\s])( ?)|(\s+)")


def cheap_lemma(word: str) -> str:
    lower = word.lower()
    if len(lower) > 3 and lower.endswith("s") and not lower.endswith("ss"):
        return lower[:-1]
    return lower


_NER_BATCH = 16
"""Pieces parsed together, shortest first: spaCy's own sub-batch for its default batch of 64."""


def run_ner(nlp: Language, pieces: list[str]) -> list[Doc]:
    """``pieces`` with the entities of the pipeline's NER set, the same as
    ``nlp.pipe(pieces)`` with every other component disabled finds.

    The transition-based NER is decoded greedily; spaCy's greedy loop releases the GIL and
    the cdef functions it calls per state and action (the move validity checks) take it back
    each time, as its wheels for Python < 3.12 are compiled with Cython's profiling hooks:
    40 % of the NER's time went on GIL hand-overs. Its beam search with a beam of one takes
    the same best valid action at every step but runs with the GIL held, where those hooks are
    cheap: 4.5 ms a text page became 2.8 ms. Another kind of NER goes through ``nlp.pipe``.
    """
    ner: Any = nlp.get_pipe("ner") if nlp.has_pipe("ner") else None
    beam_parse = getattr(ner, "beam_parse", None)
    if ner is None or beam_parse is None or ner.cfg.get("beam_width", 1) != 1:
        disabled = [name for name in nlp.pipe_names if name not in _NER_PIPES]
        return list(nlp.pipe(pieces, disable=disabled, batch_size=64))
    docs = [nlp.make_doc(piece) for piece in pieces]
    by_length = sorted((doc for doc in docs if len(doc)), key=len)
    for start in range(0, len(by_length), _NER_BATCH):
        batch = by_length[start : start + _NER_BATCH]
        ner.set_annotations(batch, beam_parse(batch, beam_width=1))
    return docs


class NumpyGemmOps(NumpyOps):  # type: ignore[misc]
    """thinc's CPU ops with matrix products through numpy's BLAS.

    The blis wheel falls back to its generic kernel on this machine's processors
    (``BLIS_ARCH_DEBUG=1`` says so): NER ran at 108 ms a page against 75 ms with
    numpy's OpenBLAS on one thread, with identical entities.
    """

    name = "numpy_gemm"

    def gemm(self, x: Any, y: Any, out: Any = None, trans1: bool = False, trans2: bool = False) -> Any:
        a = x.T if trans1 else x
        b = y.T if trans2 else y
        if out is None:
            return numpy.dot(a, b)
        numpy.dot(a, b, out=out)
        return out


_KEYWORD_MEMO_LIMIT = 200_000


class LazyKeywordArtifacts(NlpArtifacts):
    """Presidio's artifacts with ``keywords`` made when first read, from memoised word checks.

    Presidio builds the keywords (lemmas that are no stop word or punctuation) for every text,
    through two vocabulary look-ups per word; only the context enhancer reads them, and only
    around a match. Same list, computed at most once and without repeating the look-ups.
    """

    def __init__(self, **kwargs: Any) -> None:
        self._keywords: list[str] | None = None
        super().__init__(**kwargs)
        self._language: str = kwargs["language"]
        self._keywords = None  # what the constructor set was the placeholder below

    @staticmethod
    def set_keywords(nlp_engine: Any, lemmas: list[str], language: str) -> list[str]:
        return []  # placeholder: the real list is made on the first read of ``keywords``

    @property
    def keywords(self) -> list[str]:
        if self._keywords is None:
            self._keywords = _keywords(self.nlp_engine, self.lemmas, self._language)
        return self._keywords

    @keywords.setter
    def keywords(self, value: list[str] | None) -> None:
        self._keywords = value


_keyword_memo: dict[str, dict[str, tuple[str, ...]]] = {}


def _keywords(nlp_engine: Any, lemmas: list[str], language: str) -> list[str]:
    """What ``NlpArtifacts.set_keywords`` returns, with each word's parts memoised
    (none for a stop word or punctuation, else the lower-cased word split at colons)."""
    if not nlp_engine:
        return []
    memo = _keyword_memo.setdefault(language, {})
    if len(memo) > _KEYWORD_MEMO_LIMIT:
        memo.clear()
    out: list[str] = []
    for lemma in lemmas:
        parts = memo.get(lemma)
        if parts is None:
            keep = (
                not nlp_engine.is_stopword(lemma, language)
                and not nlp_engine.is_punct(lemma, language)
                and lemma not in ("-PRON-", "be")
            )
            parts = tuple(lemma.lower().split(":")) if keep else ()
            memo[lemma] = parts
        out.extend(parts)
    return out


class SelectiveSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine, with NER restricted to candidate lines (see the module doc)."""

    def load(self) -> None:
        """Load only the tokenizer and NER; never download (the model is a package)."""
        set_current_ops(NumpyGemmOps())
        self.nlp = {  # type: ignore[assignment]
            model["lang_code"]: spacy.load(model["model_name"], exclude=_UNUSED_PIPES) for model in self.models
        }

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        return self.process_many([text], language)[0]

    def process_many(self, texts: list[str], language: str) -> list[NlpArtifacts]:
        """Artifacts for many texts, with one batched NER pass over all their candidate lines."""
        if not self.nlp:
            raise ValueError("NLP engine is not loaded")
        nlp = self.nlp[language]
        tokenized = [_tokenize(nlp.vocab, text) for text in texts]
        docs = [doc for doc, _, _ in tokenized]
        jobs = [(i, start, end) for i, text in enumerate(texts) for start, end in ner_spans(text)]
        found: list[list[Any]] = [[] for _ in texts]
        if jobs:
            pieces = [ner_piece(texts[i][start:end]) for i, start, end in jobs]
            for (i, start, _), piece in zip(jobs, run_ner(nlp, pieces), strict=True):
                for ent in piece.ents:
                    # OCR lines are fields: an entity never runs from one line into the next.
                    offset = start + ent.start_char
                    for part in texts[i][offset : start + ent.end_char].split("\n"):
                        if ent.label_ != "PERSON" and _in_caps_name_line(texts[i], offset):
                            pass  # a truecased heading ("PROFILE CONTACT") is no place
                        elif part.strip():
                            span = docs[i].char_span(
                                offset, offset + len(part), label=ent.label_, alignment_mode="contract"
                            )
                            if span is not None and len(span):
                                found[i].append(span)
                        offset += len(part) + 1
        out = []
        for (doc, words, starts), ents in zip(tokenized, found, strict=True):
            doc.ents = filter_spans(ents)
            entities, scores = self._get_updated_entities(list(doc.ents), self._get_scores_for_entities(doc))
            out.append(
                LazyKeywordArtifacts(
                    entities=entities,
                    tokens=doc,
                    tokens_indices=starts,
                    lemmas=[cheap_lemma(word) for word in words],
                    nlp_engine=self,
                    language=language,
                    scores=scores,
                )
            )
        return out
