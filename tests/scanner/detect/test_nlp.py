"""The selective NLP engine: NER only where a proper noun can be, offsets always exact."""

from __future__ import annotations

import datetime

import numpy
import phonenumbers
import pytest
import spacy
from spacy.tokens import Doc

from piiscan.scanner.detect.engine import build_analyzer
from piiscan.scanner.detect.filters import suppress
from piiscan.scanner.detect.nlp import NumpyGemmOps, cheap_lemma, fast_doc, ner_spans, run_ner
from piiscan.scanner.detect.recognizers.phone import WindowedPhoneRecognizer, calendar_date
from piiscan.scanner.model import Finding
from piiscan.settings import Settings


@pytest.mark.parametrize(
    ("line", "needs"),
    [
        ("Lorem ipsum dolor sit amet, consectetur adipiscing", False),
        ("1. The tenant shall keep the premises clean", False),
        ("It was agreed. The rent is due on the first day", False),
        ("the rent is due on the first day of the month", False),
        ("Margaret Whitfield", True),
        ("Dear Mr. Thompson, thank you for the letter", True),
        ("Mr. Thompson said he would pay the rent soon", True),
        ("tom88: yeah thats Peter Novak, 18 Maple Avenue", True),
        ("Name: John Smith of the company here today", True),
    ],
)
def test_ner_candidate_lines(line: str, needs: bool) -> None:
    assert bool(ner_spans(line)) is needs


def test_ner_spans_group_neighbouring_lines() -> None:
    text = "Margaret Whitfield\n742 Evergreen Terrace\nthe rent is due on the first day of the month\nBo Li"
    spans = ner_spans(text)
    assert [text[a:b] for a, b in spans] == ["Margaret Whitfield\n742 Evergreen Terrace", "Bo Li"]


@pytest.mark.parametrize(
    "text", ["", " ", "x", "  a  b\n\n c ", "a.b@example.com, (217) 555-0147\n", "Ünïcode \u2013 ok"]
)
def test_fast_doc_keeps_offsets(text: str) -> None:
    doc = fast_doc(spacy.blank("en").vocab, text)
    assert doc.text == text
    assert all(text[t.idx : t.idx + len(t.text)] == t.text for t in doc)


def test_cheap_lemma() -> None:
    assert [cheap_lemma(w) for w in ("Cards", "class", "SSN", "is")] == ["card", "class", "ssn", "is"]


def test_numpy_gemm_matches_reference() -> None:
    rng = numpy.random.default_rng(1)
    a, b = rng.random((5, 3), dtype="float32"), rng.random((4, 3), dtype="float32")
    ops = NumpyGemmOps()
    numpy.testing.assert_allclose(ops.gemm(a, b, trans2=True), a @ b.T, rtol=1e-5)
    out = numpy.zeros((3, 3), dtype="float32")
    ops.gemm(a, a, out=out, trans1=True)
    numpy.testing.assert_allclose(out, a.T @ a, rtol=1e-5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (217) 555-0147 today", ["(217) 555-0147"]),
        ("London office +44 20 7946 0958.", ["+44 20 7946 0958"]),
        ("Berlin: 030 12345678", ["030 12345678"]),
        ("order 1005, total 1,150.00, version 2.3.1", []),
    ],
)
def test_windowed_phone(text: str, expected: list[str]) -> None:
    results = WindowedPhoneRecognizer().analyze(text, ["PHONE_NUMBER"])
    assert sorted(text[r.start : r.end] for r in results) == sorted(expected)


NER_TEXTS = [
    "Dear Mr. Thompson, thank you for the letter of 3 March.",
    "Margaret Whitfield\n742 Evergreen Terrace\nSpringfield, IL 62704",
    "",
    "tom88: yeah thats Peter Novak, 18 Maple Avenue, Oakland, CA 94610",
    "Signed for the Landlord by Ryan Gallagher in the presence of Rachel Davis.",
    "Sehr geehrte Frau Schneider, Ihre Anfrage aus München haben wir erhalten.",
    "The meeting with Google and the United Nations in Paris took place on Monday.",
    "Chris Smith",
    "  ",
    "Participant role himself tax west voice mention American wonder space pick environment.",
]


def test_run_ner_finds_what_the_pipeline_finds(settings: Settings) -> None:
    """The beam-of-one decoding gives the entities of spaCy's greedy pipe, piece by piece
    and in one batch of pieces of every length."""
    nlp = build_analyzer(settings).nlp_engine.nlp["en"]
    texts = NER_TEXTS * 3 + [" ".join(NER_TEXTS)]

    def ents(docs: list[Doc]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]

    disabled = [name for name in nlp.pipe_names if name != "ner"]
    expected = ents(list(nlp.pipe(texts, disable=disabled)))
    assert any(expected), "the texts hold entities"
    assert ents(run_ner(nlp, texts)) == expected
    assert [ents(run_ner(nlp, [text]))[0] for text in texts] == expected
    assert [doc.text for doc in run_ner(nlp, texts)] == texts


@pytest.mark.parametrize("form", ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%m/%d/%Y"])
def test_dates_skipped_by_the_phone_matcher_held_no_phone(form: str) -> None:
    """A window that is a date is not matched: what the matcher read there, the date filter
    dropped (days spread over 1900-2099 here; every day was checked once)."""
    recognizer = WindowedPhoneRecognizer()
    day = datetime.date(1900, 1, 3)
    while day.year < 2100:
        text = day.strftime(form)
        assert calendar_date(text), text
        assert recognizer.analyze(text, ["PHONE_NUMBER"]) == []
        for region in recognizer.supported_regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=recognizer.leniency):
                found = Finding("PHONE_NUMBER", 0.4, 1, "text_layer", match.raw_string, "", match.start, match.end)
                assert suppress([found], text) == [], (text, region)
        day += datetime.timedelta(days=367)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("1971-08-13", True),
        ("13.08.1971", True),
        ("08/13/1971", True),
        ("2345-01-01", False),
        ("31.02.1999", False),
        ("1971-08-13 555 0147", False),
        ("(217) 555-0147", False),
        ("1971-0813", False),
    ],
)
def test_calendar_date(window: str, expected: bool) -> None:
    assert calendar_date(window) is expected


def test_windowed_phone_next_to_a_date() -> None:
    text = "Born 13.08.1971, call 030 12345678"
    assert [text[r.start : r.end] for r in WindowedPhoneRecognizer().analyze(text, ["PHONE_NUMBER"])] == [
        "030 12345678"
    ]
