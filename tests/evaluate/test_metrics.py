"""Matching and figures of ``piiscan eval`` on hand-made cases, where the right answer is obvious."""

from __future__ import annotations

import pytest

from piiscan.evaluate.datasets import Entity
from piiscan.evaluate.metrics import (
    Counts,
    accuracy,
    clean_flagged,
    confusion,
    dedupe,
    evaluated_types,
    fuzzy_equal,
    item_counts,
    match,
    micro,
    normalise,
    share,
    value_in_text,
    verdict_labels,
)
from piiscan.evaluate.report import masked


@pytest.mark.parametrize(
    ("entity_type", "a", "b"),
    [
        ("CREDIT_CARD", "4095-2609-9393-4932", "4095 2609 9393 4932"),
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00", "de89370400440532013000"),
        ("US_SSN", "078-05-1126", "078 05 1126"),
        ("PHONE_NUMBER", "+1 (217) 555-0147", "217-555-0147"),
        ("EMAIL_ADDRESS", "Clara.Jensen@Example.com", "clara.jensen@example.com"),
        ("PERSON", "O'Brien,  Mary-Ann", "o brien mary ann"),
        ("PERSON", "JOSÉ MUÑOZ", "JOSe MUNOZ"),  # accents folded: OCR reads accented capitals plain
        (
            "STREET_ADDRESS",
            "742 Evergreen Terrace\nSpringfield, IL 62704",
            "742 evergreen terrace, Springfield IL 62704",
        ),
        ("MRZ", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<", "P«UTOERIKSSONKKANNA<MARIA<<<"),
        ("MRZ", "L898902C3UTO6908061F9406236", "L898902C3 UT06908061F9406236"),
        ("GPS_COORDINATES", "48.858370, 2.294481", "48.85837 2.29448"),
        ("GPS_COORDINATES", "40.7128 N, 74.0060 W", "40.712800, -74.006000"),
    ],
)
def test_normalise_equal(entity_type: str, a: str, b: str) -> None:
    assert normalise(entity_type, a) == normalise(entity_type, b)


@pytest.mark.parametrize(
    ("entity_type", "a", "b"),
    [
        ("CREDIT_CARD", "4095 2609 9393 4932", "4095 2609 9393 4933"),
        ("PHONE_NUMBER", "217-555-0147", "217-555-0148"),
        ("GPS_COORDINATES", "48.858370, 2.294481", "48.858970, 2.294481"),
        ("US_SSN", "078-05-1126", "078-05-1127"),
    ],
)
def test_normalise_different(entity_type: str, a: str, b: str) -> None:
    assert normalise(entity_type, a) != normalise(entity_type, b)


def test_normalise_details() -> None:
    assert normalise("PHONE_NUMBER", "+49 30 12345678") == "3012345678"  # the last ten digits
    assert normalise("IBAN_CODE", "gb29 nwbk 6016 1331 9268 19") == "GB29NWBK60161331926819"
    assert normalise("PERSON", "  Dr.  JOHN   Smith ") == "dr john smith"
    assert normalise("CREDIT_CARD", "no digits") == ""


def test_fuzzy_equal_needs_word_boundaries_and_sixty_percent() -> None:
    assert fuzzy_equal("PERSON", "john h doe", "john doe") is False  # not contained
    assert fuzzy_equal("PERSON", "margaret whitfield", "margaret whitfield room")
    assert not fuzzy_equal("PERSON", "ann", "joanna")  # inside a word
    assert not fuzzy_equal("PERSON", "david", "david johnson")  # 5/13 < 60%
    assert fuzzy_equal("STREET_ADDRESS", "742 evergreen terrace springfield", "742 evergreen terrace springfield il")
    assert not fuzzy_equal("PHONE_NUMBER", "2175550147", "21755501")  # numbers must be equal


E = Entity


def test_one_to_one_each_label_once() -> None:
    expected = [E("PERSON", "Anna Berg"), E("PERSON", "Anna Berg")]
    found = [E("PERSON", "ANNA BERG")]
    result = match(expected, found, {"PERSON"})
    assert result.pairs == [(0, 0)] and result.missed == [1] and result.false == []

    found = [E("EMAIL_ADDRESS", "a@example.com"), E("EMAIL_ADDRESS", "A@example.com")]
    result = match([E("EMAIL_ADDRESS", "a@example.com")], found, {"EMAIL_ADDRESS"})
    assert len(result.pairs) == 1 and result.false == [1]


def test_match_by_type_and_page() -> None:
    expected = [E("PHONE_NUMBER", "217-555-0147", 2), E("US_SSN", "078-05-1126", 1)]
    found = [E("PHONE_NUMBER", "(217) 555-0147", 1), E("PHONE_NUMBER", "078-05-1126", 1)]
    result = match(expected, found, {"PHONE_NUMBER", "US_SSN"})
    assert result.pairs == [] and result.missed == [0, 1] and result.false == [0, 1]


def test_exact_before_fuzzy() -> None:
    expected = [E("PERSON", "Anna Berg"), E("PERSON", "Anna Berg Lund")]
    found = [E("PERSON", "Anna Berg Lund"), E("PERSON", "Anna Berg")]
    assert match(expected, found, {"PERSON"}).pairs == [(0, 1), (1, 0)]


def test_types_not_evaluated_are_ignored() -> None:
    found = [E("URL", "example.com"), E("LOCATION", "Paris"), E("EMAIL_ADDRESS", "x@example.com")]
    expected = [E("EMAIL_ADDRESS", "x@example.com"), E("ID_NUMBER", "X123")]
    result = match(expected, found, {"EMAIL_ADDRESS"})
    assert result.pairs == [(0, 2)] and result.false == [] and result.missed == []


def test_split_labels_covered_by_one_finding() -> None:
    mrz = [E("MRZ", "P<CANBROWN<<HOLLIE<<<<<<<<<<<"), E("MRZ", "ZE000509<9CAN8501019F2301147<<<<08")]
    found = [E("MRZ", "P<CANBROWN<<HOLLIE<<<<<<<<\nZE000509<9CAN8501019F2301147<<<<<<<08")]
    assert match(mrz, found, {"MRZ"}).pairs == [(0, 0), (1, 0)]

    names = [E("PERSON", "SMITH"), E("PERSON", "JOHN")]
    assert match(names, [E("PERSON", "Smith John")], {"PERSON"}).pairs == [(0, 0), (1, 0)]
    # One small piece of a long finding is not enough.
    result = match([E("PERSON", "John")], [E("PERSON", "John Smith of Main Street")], {"PERSON"})
    assert result.pairs == [] and result.false == [0]


def test_a_finding_of_several_split_labels_matches_them_all_before_fuzzy_matching() -> None:
    """The longer label alone is 60 % of the finding: pass 2 would pair them and leave the other label missed."""
    names = [E("PERSON", "Jane"), E("PERSON", "Constance")]
    result = match(names, [E("PERSON", "Jane Constance")], {"PERSON"})
    assert result.pairs == [(0, 0), (1, 0)] and result.missed == []


def test_location_label_matched_by_street_address() -> None:
    expected = [E("LOCATION", "100 MAIN STREET"), E("LOCATION", "ANYTOWN, MA, 02127"), E("LOCATION", "Boston")]
    found = [E("STREET_ADDRESS", "100 Main Street\nAnytown, MA, 02127"), E("STREET_ADDRESS", "1 Elm Rd")]
    result = match(expected, found, {"LOCATION"})
    assert result.pairs == [(0, 0), (1, 0)] and result.missed == [2]
    assert result.false == []  # STREET_ADDRESS is not evaluated here, so never a false positive


def test_counts_and_f1() -> None:
    c = Counts(tp=3, fp=1, fn=2)
    assert c.precision == pytest.approx(0.75)
    assert c.recall == pytest.approx(0.6)
    assert c.f1 == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))
    assert c.support == 5
    assert Counts(fn=4).precision is None and Counts(fn=4).recall == 0 and Counts(fn=4).f1 == 0
    assert Counts(fp=2).recall is None and Counts(fp=2).precision == 0
    assert Counts().f1 is None


def test_item_counts_and_micro() -> None:
    expected = [E("PERSON", "Anna Berg"), E("EMAIL_ADDRESS", "a@example.com"), E("DATE_TIME", "1 May 1990")]
    found = [E("PERSON", "Anna Berg"), E("PERSON", "Invoice"), E("DATE_TIME", "1 May 1990")]
    counts = item_counts(expected, found, match(expected, found, {"PERSON", "EMAIL_ADDRESS", "DATE_TIME"}))
    assert (counts["PERSON"].tp, counts["PERSON"].fp, counts["PERSON"].fn) == (1, 1, 0)
    assert (counts["EMAIL_ADDRESS"].tp, counts["EMAIL_ADDRESS"].fn) == (0, 1)
    total = micro(counts, ["PERSON", "EMAIL_ADDRESS"])  # DATE_TIME left out, as partial labels are
    assert (total.tp, total.fp, total.fn) == (1, 1, 1)
    assert total.f1 == pytest.approx(0.5)


def test_dedupe_merges_repeats_per_page() -> None:
    found = [E("PERSON", "Anna Berg"), E("PERSON", "ANNA  BERG"), E("PERSON", "Anna Berg", 2)]
    assert dedupe(found) == [found[0], found[2]]


def test_evaluated_types() -> None:
    labelled = {"PERSON", "MRZ", "ID_NUMBER", "URL"}
    assert evaluated_types(labelled, {"PERSON", "EMAIL_ADDRESS"}) == ["ID_NUMBER", "MRZ", "PERSON"]


def test_identity_number_types_fold_into_id_number_and_passports_match_them() -> None:
    from piiscan.evaluate.metrics import fold_type

    assert fold_type("IN_AADHAAR") == fold_type("UK_PASSPORT") == "ID_NUMBER"
    assert fold_type("US_PASSPORT") == "US_PASSPORT"  # evaluated on its own
    labels = [Entity("ID_NUMBER", "K4471902")]
    result = match(labels, [Entity("US_PASSPORT", "K4471902")], ["ID_NUMBER", "US_PASSPORT"])
    assert result.pairs == [(0, 0)] and result.false == []


def test_confusion_and_clean_flagged() -> None:
    pairs = [
        ("clean", "clean"),
        ("clean", "personal_data"),
        ("clean", "error"),
        ("personal_data", "personal_data"),
        ("sensitive_document", "personal_data"),
    ]
    matrix = confusion(pairs)
    assert matrix == {
        "clean": {"clean": 1, "personal_data": 1, "error": 1},
        "personal_data": {"personal_data": 1},
        "sensitive_document": {"personal_data": 1},
    }
    assert verdict_labels(matrix) == ["clean", "personal_data", "sensitive_document", "error"]
    assert clean_flagged(pairs) == (1, 3)  # an error is not a false alarm
    assert accuracy(pairs) == (2, 5)
    assert share((1, 4)) == 0.25 and share((0, 0)) is None


def test_value_in_text_tells_ocr_from_recognizer() -> None:
    text = "Call 217 555 0147 or write to anna.berg@example.com\nAnna  Berg, 1 Elm Rd"
    assert value_in_text("PHONE_NUMBER", "(217) 555-0147", text)
    assert value_in_text("PERSON", "ANNA BERG", text)
    assert value_in_text("EMAIL_ADDRESS", "anna.berg@example.com", text)
    assert not value_in_text("EMAIL_ADDRESS", "anna.berg@example.com", "anna. berg@example.com")
    assert not value_in_text("PERSON", "Ann", text)
    assert value_in_text("GPS_COORDINATES", "48.858370, 2.294481", "GPS coordinates: 48.858370, 2.294481")


def test_masked_shows_no_value() -> None:
    assert masked("Margaret Whitfield") == "M***"
    assert masked("4095 2609 9393 4932") == "#***"
    assert "4095" not in masked("4095 2609 9393 4932")
