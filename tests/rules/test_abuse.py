"""Abusive content: curated phrase rules (each with an id and a reason), contexts that
neutralise them, the offensive-language model, and precision/recall on a labelled set."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from piiscan.rules.abuse import AbuseDetector, ProfanityModel, normalise, quote_spans, split_sentences
from piiscan.rules.abuse_eval import evaluate, load_cases
from piiscan.rules.context import ScanContext
from piiscan.rules.engine import RuleEngine
from piiscan.scanner.model import Extraction, TextSegment
from piiscan.settings import Settings

from .conftest import MakeDoc

CASES = Path(__file__).with_name("abuse_cases.yaml")
log = logging.getLogger(__name__)


def fired(engine: RuleEngine, text: str) -> list[str]:
    extraction = Extraction(segments=[TextSegment(text=text, page=1, source="text_layer")])
    return [h.id for h in engine.evaluate([], extraction).rules if h.verdict == "abusive"]


def test_normalisation() -> None:
    assert normalise("I\u2019ll  find U, ur dead\n") == "i will find you, your dead"
    assert normalise("You're gonna regret it, let's go") == "you are going to regret it, let us go"
    assert normalise("Here's her number") == "here is her number"


def test_sentences_and_quotes() -> None:
    text = '"I will kill you!" she said. Then she left.\nNext message\nAnother, wrapped\nover two lines\n\nlast'
    assert split_sentences(text) == [
        '"I will kill you!" she said.',
        "Then she left.",
        "Next message",  # a capital starts a new line's sentence
        "Another, wrapped over two lines",  # lower case after a letter: the line was wrapped
        "last",
    ]
    norm = normalise("he wrote 'i will shoot you' twice, the journalist's notes say")
    ((start, end),) = quote_spans(norm)
    assert norm[start:end] == "'i will shoot you'"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("I'm going to find you and break every bone in your body.", "abuse.threat.violence"),
        ("gonna beat the crap out of u after school", "abuse.threat.violence"),
        ("We know where your kids go to school.", "abuse.threat.knows-where"),
        ("You won't live to see Christmas.", "abuse.threat.death"),
        ("kys loser", "abuse.harassment.self-harm"),
        ("Everyone go spam her inbox until she deletes her account", "abuse.harassment.pile-on"),
        ("I'll leak your nudes to your whole school", "abuse.harassment.sexual"),
        ("you pathetic little worm", "abuse.harassment.insult"),
        ("Refugees are vermin.", "abuse.hate.dehumanising"),
        ("Those people should all be deported and locked up", "abuse.hate.eliminationist"),
    ],
)
def test_phrase_rules(engine: RuleEngine, text: str, rule: str) -> None:
    assert rule in fired(engine, text)


@pytest.mark.parametrize(
    ("text", "suppressor"),
    [
        ('"I will kill you," the villain whispered.', "context.quoted-speech"),
        ("According to the indictment, he wrote 'I will shoot you' forty times.", "context.quoted-speech"),
        ("Police said the man told her: I know where you live.", "context.news-report"),
        ("In chapter 3 the killer says I will kill you to the detective.", "context.fiction"),
        ("I'm going to kill you in the next round, noob", "context.game-or-sport"),
        ("The report lists calls to burn their camps.", "context.news-report"),
    ],
)
def test_contexts_neutralise_matches(engine: RuleEngine, text: str, suppressor: str) -> None:
    assert fired(engine, text) == []
    detector = AbuseDetector(engine.ruleset, engine.classifier)
    detector.find([(1, text)])
    assert suppressor in {s.suppressor_id for s in detector.suppressed}


def test_game_context_does_not_excuse_harassment(engine: RuleEngine) -> None:
    assert fired(engine, "gg noob, go kill yourself") == ["abuse.harassment.self-harm"]


def test_segments_without_sentences(engine: RuleEngine) -> None:
    blank = Extraction(segments=[TextSegment(text="  \n ", page=1, source="ocr")])
    assert engine.evaluate([], blank).verdict == "clean"


def test_reasons_have_ids_and_pages(engine: RuleEngine) -> None:
    extraction = Extraction(
        segments=[
            TextSegment(text="Nice weather.", page=1, source="ocr"),
            TextSegment(text="I know where you live.", page=2, source="ocr"),
            TextSegment(text="Watch your back.", page=3, source="ocr"),
        ]
    )
    decision = engine.evaluate([], extraction, ScanContext(visibility="unlisted"))
    assert decision.verdict == "abusive" and decision.severity == "high"
    by_id = {h.id: h.reason for h in decision.rules}
    assert "on page 2" in by_id["abuse.threat.knows-where"]
    assert "on page 3" in by_id["abuse.threat.death"]


def test_doxxing_call_needs_an_address_in_the_upload(engine: RuleEngine, doc: MakeDoc) -> None:
    text = "Mark Olsen lives at 12 Elm Street. Someone should pay him a visit tonight."
    findings, extraction = doc(text, [("PERSON", "Mark Olsen"), ("STREET_ADDRESS", "12 Elm Street")])
    with_address = engine.evaluate(findings, extraction)
    assert "abuse.harassment.doxxing-call" in [h.id for h in with_address.rules]
    without = engine.evaluate(findings[:1], extraction)
    assert "abuse.harassment.doxxing-call" not in [h.id for h in without.rules]


class FixedScores:
    """A stand-in classifier: scores by keyword, records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def predict(self, texts: Sequence[str]) -> list[float]:
        self.asked.extend(texts)
        return [0.95 if "bad" in t else 0.1 for t in texts]


def test_classifier_only_judges_sentences_aimed_at_someone() -> None:
    model = FixedScores()
    engine = RuleEngine(Settings(), classifier=model)
    text = "This bad weather again. You are bad. Immigrants are bad news. Shut up, bad."
    extraction = Extraction(segments=[TextSegment(text=text, page=1, source="text_layer")])
    decision = engine.evaluate([], extraction)
    assert model.asked == ["You are bad.", "Immigrants are bad news.", "Shut up, bad."]
    hit = next(h for h in decision.rules if h.id == "abuse.offensive-language")
    assert "3 sentence(s)" in hit.reason and "0.95" in hit.reason


def test_the_real_model_scores_language_not_intent() -> None:
    """alt-profanity-check, judged: strong on insults, blind to plain-worded threats,
    triggered by profanity about things. This is why it never decides alone."""
    model = ProfanityModel()
    insult, threat, swearing = model.predict(
        ["you stupid idiot", "I know where you live", "fuck this game, the lag is unreal"]
    )
    assert insult > 0.9 and swearing > 0.9 and threat < 0.5


def test_precision_and_recall_on_the_labelled_set(engine: RuleEngine) -> None:
    """Target >= 0.85 for both. ``dev`` texts were used while writing the rules; ``test``
    texts were held out and are the honest figure."""
    cases = load_cases(CASES)
    assert len(cases) >= 60
    assert sum(c.label == "abusive" for c in cases) == sum(c.label == "benign" for c in cases)
    results = {}
    for split in ("dev", "test"):
        outcome = evaluate([c for c in cases if c.split == split], engine)
        results[split] = outcome.summary()
        for what, case, rules in outcome.errors:
            log.warning("%s %s (%s): %s %s", split, what, case.kind, case.text, rules)
    overall = evaluate(cases, engine)
    log.warning("abuse precision/recall %s, all %s", results, overall.summary())
    assert results["test"]["precision"] >= 0.85 and results["test"]["recall"] >= 0.85
    assert overall.precision >= 0.85 and overall.recall >= 0.85
