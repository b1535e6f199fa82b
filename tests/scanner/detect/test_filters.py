"""Person false positives removed after recognition; names under form labels found."""

from __future__ import annotations

import re

import pytest

from piiscan.scanner.detect.filters import NEEDS_CONTEXT, plausible_entities, plausible_person, suppress
from piiscan.scanner.detect.recognizers import LabelledNameRecognizer, SplitEmailRecognizer
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Finding


def _person(text: str, value: str) -> Finding:
    start = text.index(value)
    return Finding("PERSON", 0.85, 1, "ocr", value, mask("PERSON", value), start, start + len(value))


@pytest.mark.parametrize(
    ("text", "value", "plausible"),
    [
        ("Dear Madam,", "Madam", False),
        ("Email: x", "Email", False),
        ("Betreff: Anschrift", "Anschrift", False),
        ("Lorem ipsum", "Lorem", False),
        ("mein Konto ist", "mein Konto", False),
        ("Auth Code 55", "Auth Code", False),
        ("XXXX XXXXX 1234", "XXXX XXXXX", False),
        ("Signed by Bo Li today", "Bo Li", True),
        ("Signed by Margaret Whitfield today", "Margaret Whitfield", True),
        ("María del Carmen Azcona", "María del Carmen Azcona", True),
        ("Dear Mr. Thompson,", "Thompson", True),
        ("Thompson went home", "Thompson", False),
        ("Name: Okafor", "Okafor", True),
        ("X12345 is the code", "X12345", False),
    ],
)
def test_plausible_person(text: str, value: str, plausible: bool) -> None:
    assert plausible_person(_person(text, value), text) is plausible


def test_suppress_keeps_labelled_names_and_drops_pieces() -> None:
    text = "Surname\n\nPATEL\nmail a.b@example.com"
    labelled = _person(text, "PATEL")
    labelled.recognizer = "LabelledNameRecognizer"
    start = text.index("a.b@")
    email = Finding("EMAIL_ADDRESS", 1.0, 1, "ocr", "a.b@example.com", "a***", start, start + 15)
    domain = Finding("URL", 0.5, 1, "ocr", "example.com", "e***", start + 4, start + 15)
    assert suppress([labelled, email, domain], text) == [labelled, email]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Surname\n\nPATEL\nGiven names\nTHOMAS", "PATEL"),
        ("Name: Katrina Martin\nDate of birth: 04/22/1998", "Katrina Martin"),
        ("Nachname / Surname: Köhler", "Köhler"),
        ("Account holder: Sofia Lindqvist", "Sofia Lindqvist"),
        ("Titular: María del Carmen Azcona", "María del Carmen Azcona"),
    ],
)
def test_labelled_names(text: str, name: str) -> None:
    results = LabelledNameRecognizer().analyze(text, ["PERSON"])
    assert name in [text[r.start : r.end] for r in results]


@pytest.mark.parametrize(
    "text", ["Name: date of birth", "name: john", "File name: report.pdf", "Surname\n\nDate of birth"]
)
def test_labels_without_a_name(text: str) -> None:
    found = [text[r.start : r.end] for r in LabelledNameRecognizer().analyze(text, ["PERSON"])]
    assert all(v[0].isupper() and v.lower() not in ("date", "report") for v in found), found


def _f(entity: str, text: str, value: str) -> Finding:
    start = text.index(value)
    return Finding(entity, 1.0, 1, "ocr", value, mask(entity, value), start, start + len(value))


@pytest.mark.parametrize(
    ("text", "entity", "value", "kept"),
    [
        ("Order 486-3100132 shipped", "UK_NHS", "486-3100132", False),
        ("NHS number 486 310 0132", "UK_NHS", "486 310 0132", True),
        ("Passport no. 912803456", "US_PASSPORT", "912803456", True),
        ("Invoice 912803456", "US_PASSPORT", "912803456", False),
        ("Expiry 05.08.2034", "PHONE_NUMBER", "05.08.2034", False),
        ("Call 217 555 0147", "PHONE_NUMBER", "217 555 0147", True),
    ],
)
def test_context_and_date_filters(text: str, entity: str, value: str, kept: bool) -> None:
    finding = _f(entity, text, value)
    assert (suppress([finding], text) == [finding]) is kept


def test_phone_reading_of_an_ssn_is_dropped() -> None:
    text = "SSN 625-09-3288"
    ssn, phone = _f("US_SSN", text, "625-09-3288"), _f("PHONE_NUMBER", text, "625-09-3288")
    assert suppress([ssn, phone], text) == [ssn]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Atentamente,\n\nTatiana Ferrero", "Tatiana Ferrero"),
        ("Mit freundlichen Grüßen\n\nGusti Knappe\n", "Gusti Knappe"),
        ("Kind regards,\nMargaret Whitfield", "Margaret Whitfield"),
    ],
)
def test_signature_names(text: str, name: str) -> None:
    assert name in [text[r.start : r.end] for r in LabelledNameRecognizer().analyze(text, ["PERSON"])]


def test_closing_without_a_name() -> None:
    assert LabelledNameRecognizer().analyze("Kind regards,\nthe team", ["PERSON"]) == []


def test_person_span_trimmed_to_the_name() -> None:
    text = "Full name Date of birth\nMichael Bailey 1962-12-13"
    found = suppress([_person(text, "Michael Bailey 1962-12-13")], text)
    assert [(f.text, text[f.start : f.end]) for f in found] == [("Michael Bailey", "Michael Bailey")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Email\n\nbailey. michael84@example.org\n", ["bailey. michael84@example.org"]),
        ("Email: bailey. michael84@example.org", ["bailey. michael84@example.org"]),
        ("please write to me. john@example.com", []),
        ("Contact: jane.doe@example.com", []),
    ],
)
def test_email_split_by_ocr(text: str, found: list[str]) -> None:
    results = SplitEmailRecognizer().analyze(text, ["EMAIL_ADDRESS"])
    assert [text[r.start : r.end] for r in results] == found


def test_a_partial_reading_inside_a_whole_one_is_dropped() -> None:
    text = "Email: bailey. michael84@example.org"
    whole = _f("EMAIL_ADDRESS", text, "bailey. michael84@example.org")
    part = _f("EMAIL_ADDRESS", text, "michael84@example.org")
    assert suppress([whole, part], text) == [whole]


def test_plausible_entities_skip_recognizers_that_cannot_match() -> None:
    entities = ["EMAIL_ADDRESS", "IP_ADDRESS", "US_DRIVER_LICENSE", "PERSON"]
    assert plausible_entities(entities, "Handle the middle of the order, Peter.") == ["PERSON"]
    assert plausible_entities(entities, "Driver licence D1234567, mail a@b.org from 10.0.0.1") == entities


def _plausible_reference(entities: list[str], text: str) -> list[str]:
    """The gate spelt out: one search per entity for its context words and necessary pattern."""
    necessary = {
        "EMAIL_ADDRESS": r"@",
        "IP_ADDRESS": r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:",
        "MAC_ADDRESS": r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}",
        "UUID": r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-",
        "CREDIT_CARD": r"\d(?:[ -]?\d){11}",
        "IBAN_CODE": r"[A-Za-z]{2}[ ]?\d{2}",
    }
    kept = []
    for entity in entities:
        words = NEEDS_CONTEXT.get(entity)
        if words and not re.search(r"\b(?:" + "|".join(map(re.escape, words)) + ")", text.lower()):
            continue
        if entity in necessary and not re.search(necessary[entity], text):
            continue
        kept.append(entity)
    return kept


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Licensed dealer, lic. no. 12; DL 99; 4d field",
        "the license of the DEA; medical records",
        "Patients and health: NHS 943 476 5919",
        "Routing 021000021 checking acct, savings account at the bank",
        "Passport, ITIN and taxpayer, tax",
        "deal, real, publicity, licit",  # words that only contain a context word
        "host 10.0.0.1 and 1.2.3.4.5, version 1.2.3, fe80::1, 12:30:45, a:b",
        "id 123e4567-e89b-12d3-a456-426614174000, abc-1234-, 1234567-1234-, 0123456789abcdef-12ab-",
        "MAC 00:1A:2B:3C:4D:5E, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00",
    ],
)
def test_plausible_entities_equal_one_search_per_entity(text: str) -> None:
    entities = [
        *NEEDS_CONTEXT,
        "EMAIL_ADDRESS",
        "IP_ADDRESS",
        "MAC_ADDRESS",
        "UUID",
        "CREDIT_CARD",
        "IBAN_CODE",
        "PERSON",
    ]
    assert plausible_entities(entities, text) == _plausible_reference(entities, text)
