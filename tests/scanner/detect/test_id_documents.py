"""Identity-document fields and the peer-corpus gaps: licence fields, capital names, places,
and English-NER noise in other languages. Inputs are written here, not copied from the corpus."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.filters import join_places, ner_noise, plausible_person
from piiscan.scanner.detect.nlp import ner_piece, ner_spans
from piiscan.scanner.detect.recognizers import (
    CardNameRecognizer,
    DocumentDiscriminatorRecognizer,
    LicenceNumberRecognizer,
    UsPlaceRecognizer,
)
from piiscan.scanner.detect.recognizers.id_fields import looks_like_card
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Finding, TextSegment
from piiscan.scanner.pipeline import Scanner

LICENCE = (
    "OREGON DRIVER LICENSE\n\n4a ISS 4d DLN\n\n02/11/2021 K7730219XQ\n\n4b EXP 3 DOB\n\n"
    "02/11/2029 07/04/1990\n\n9 CLASS C 12 RESTR NONE\n\n1 HALVORSEN\n2 PETRA J.\n"
    "8 2207 ALDER STREET\nSALEM, OR, 97301\n15 SEX F 18 EYES GRN"
)


def _found(scanner: Scanner, text: str, language: str | None = "en") -> list[tuple[str, str]]:
    segment = TextSegment(text=text, page=1, source="ocr", words=[], language=language)
    return [(f.entity_type, f.text) for f in scanner.detector.detect([segment])]


def _finding(entity: str, text: str, value: str, recognizer: str = "SpacyRecognizer") -> Finding:
    start = text.index(value)
    return Finding(entity, 0.85, 1, "ocr", value, mask(entity, value), start, start + len(value), recognizer=recognizer)


def test_licence_fields_found_in_a_rendered_aamva_layout(scanner: Scanner) -> None:
    found = _found(scanner, LICENCE)
    assert ("US_DRIVER_LICENSE", "K7730219XQ") in found
    assert ("PERSON", "HALVORSEN") in found
    assert ("PERSON", "PETRA J.") in found
    assert ("STREET_ADDRESS", "2207 ALDER STREET\nSALEM, OR, 97301") in found


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("CLASS: A RESTR: NONE\nLIC#: 0345681 SEX: M", "0345681"),
        ("WASHINGTON DRIVER LICENSE\n4dLIC#WDLQRST812PK  CLASS B", "WDLQRST812PK"),
        ("Driver's licence no. D1234-56789-01", "D1234-56789-01"),
        ("DL # 99812345 exp 2031", "99812345"),
    ],
)
def test_licence_number_after_its_label(text: str, value: str) -> None:
    results = LicenceNumberRecognizer().analyze(text, ["US_DRIVER_LICENSE"])
    assert [text[r.start : r.end] for r in results] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "Licence number: see the back of the card",  # no digits
        "LIC#: 03/23/2019",  # a date
        "License agreement 4.2 applies to version 12",
    ],
)
def test_licence_label_without_a_number(text: str) -> None:
    assert LicenceNumberRecognizer().analyze(text, ["US_DRIVER_LICENSE"]) == []


_CARD = "DRIVER LICENSE\nDOB: 02/03/1990 EXP: 02/03/2030 CLASS: D\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (_CARD + "5 DD 00412398765432101", "00412398765432101"),
        (_CARD + "OD: 7731904518822 = ORGAN DONOR", "7731904518822"),  # OCR read DD as OD
        (_CARD + "5 DDQRSTUV812PK 0042199XY0202 Veteran", "QRSTUV812PK 0042199XY0202"),  # glued to its label
        (_CARD + "5 DD 03/12/2019 REV 03/12/2017", None),  # a date, no discriminator
        ("Bank statement\nDD 55123456789 Gas supplier\nDD 55123456790 Water", None),  # direct debits
    ],
)
def test_document_discriminator_on_a_card(text: str, value: str | None) -> None:
    results = DocumentDiscriminatorRecognizer().analyze(text, ["ID_NUMBER"])
    assert [text[r.start : r.end] for r in results] == ([value] if value else [])


def test_numbered_name_lines_only_on_a_card() -> None:
    outline = "Contents\n1 INTRODUCTION\n2 METHODS AND RESULTS\n3 DISCUSSION"
    assert not looks_like_card(outline)
    assert CardNameRecognizer().analyze(outline, ["PERSON"]) == []
    noisy = "DOB 01/02/1980 EXP 01/02/2030 CLASS D\n,OKONKWO\n2 ADAEZE"  # OCR read the 1 as a comma
    results = CardNameRecognizer().analyze(noisy, ["PERSON"])
    assert [noisy[r.start : r.end] for r in results] == ["OKONKWO", "ADAEZE"]


def test_numbered_name_lines_with_an_accented_capital_read_small() -> None:
    """OCR reads an accented capital as a small letter ("JOSé" → "JOSe") and glues the field number."""
    text = "DOB 01/02/1980 EXP 01/02/2030 CLASS D\n-RUIZ\n2JOSeFA"
    results = CardNameRecognizer().analyze(text, ["PERSON"])
    assert [text[r.start : r.end] for r in results] == ["RUIZ", "JOSeFA"]
    # a small letter ends a capital word: not a name line of a card
    assert CardNameRecognizer().analyze("DOB EXP CLASS\n1 ROEs\n2 JANE", ["PERSON"]) == []


def test_short_capital_lines_are_truecased_for_the_ner() -> None:
    text = "SOCIAL SECURITY\nTHIS NUMBER HAS BEEN ESTABLISHED FOR\nMARGARET WHITFIELD\nsignature"
    piece = ner_piece(text)
    assert len(piece) == len(text)
    assert "Margaret Whitfield" in piece and "THIS NUMBER HAS BEEN ESTABLISHED FOR" in piece
    assert ner_spans("MARGARET WHITFIELD") == [(0, 18)]
    assert ner_spans("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<") == []


def test_capital_name_found(scanner: Scanner) -> None:
    found = _found(scanner, "EMPLOYEE\n\nMARGARET WHITFIELD\n\n401 MAIN STREET\nANYTOWN, USA 12345")
    assert ("PERSON", "MARGARET WHITFIELD") in found
    assert ("STREET_ADDRESS", "401 MAIN STREET\nANYTOWN, USA 12345") in found


def test_town_and_state_are_one_place() -> None:
    text = "They married in Detroit, Michigan and moved."
    joined = join_places([_finding("LOCATION", text, "Michigan"), _finding("LOCATION", text, "Detroit")], text)
    assert [f.text for f in joined] == ["Detroit, Michigan"]
    apart = "Detroit and Michigan"
    kept = join_places([_finding("LOCATION", apart, "Detroit"), _finding("LOCATION", apart, "Michigan")], apart)
    assert [f.text for f in kept] == ["Detroit", "Michigan"]


@pytest.mark.parametrize(
    ("entity", "text", "value", "language", "noise"),
    [
        ("PERSON", "Besuchen Sie uns", "Besuchen Sie", "de", True),
        ("PERSON", "Ihr Unternehmen", "Ihr Unternehmen", "de", True),
        ("PERSON", "die Zahlungserleichterung gilt", "Zahlungserleichterung", "de", True),
        ("LOCATION", "Katastrophengebiets", "Katastrophengebiets", "de", True),
        ("PERSON", "Sehr geehrte Frau Juliane Köhler", "Juliane Köhler", "de", False),
        ("PERSON", "Visit your Office", "your Office", "en", True),
        ("LOCATION", "born in Lansing", "Lansing", "en", False),
        ("LOCATION", "Place of Birth", "Birth", "en", True),
        ("LOCATION", "citizen of the United States", "the United States", "en", True),
        ("LOCATION", "USA", "USA", "en", True),
        ("LOCATION", "lives in Salt Lake City", "Salt Lake City", "en", False),
        ("LOCATION", "Country of Birth: Bahamas", "Bahamas", "en", False),
    ],
)
def test_ner_noise(entity: str, text: str, value: str, language: str, noise: bool) -> None:
    assert ner_noise(_finding(entity, text, value), language) is noise


def test_german_page_keeps_the_name_and_drops_the_nouns(scanner: Scanner) -> None:
    text = (
        "Sehr geehrte Frau Juliane Köhler,\nbesuchen Sie uns für die Einreichung Ihrer Unterlagen.\n"
        "Wenn Ihre Familie betroffen ist, rufen Sie uns an.\nMit freundlichen Grüßen"
    )
    found = _found(scanner, text, "de")
    assert ("PERSON", "Juliane Köhler") in found
    assert [f for f in found if f[0] in ("LOCATION", "NRP")] == []
    assert [f for f in found if f[0] == "PERSON"] == [("PERSON", "Juliane Köhler")]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Regular 40.00 52.78 2111.20 vacation", None),
        ("Call 555.123.4567 today", "555.123.4567"),
    ],
)
def test_amounts_are_no_phone_numbers(scanner: Scanner, text: str, phone: str | None) -> None:
    phones = [value for entity, value in _found(scanner, text) if entity == "PHONE_NUMBER"]
    assert phones == ([phone] if phone else [])


def test_form_labels_are_no_names(scanner: Scanner) -> None:
    text = "Employee Information\nFirst Name ALEJANDRO Last Name ROSALEZ\nHourly Pay Grade 12\nRelationship"
    persons = [value for entity, value in _found(scanner, text) if entity == "PERSON"]
    assert not [p for p in persons if any(w in p for w in ("Last", "Pay", "Grade", "Relationship"))]


def test_a_field_label_ends_the_name_before_it(scanner: Scanner) -> None:
    text = "First Name: CARLOS Last Name: SALAZAR\nDate of birth: 01/02/1980"
    persons = [value for entity, value in _found(scanner, text) if entity == "PERSON"]
    assert persons == ["CARLOS", "SALAZAR"]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("Detroit, Michigan   Lansing, Michigan", ["Detroit, Michigan", "Lansing, Michigan"]),
        ("born in Salt Lake City, Utah in 1980", ["Salt Lake City, Utah"]),
        ("Place of residence: Wyoming, Michigan.", ["Wyoming, Michigan"]),
        ("The Hague, Netherlands", []),
        ("In Texas, things are big", []),
    ],
)
def test_town_and_state_in_full(text: str, places: list[str]) -> None:
    results = UsPlaceRecognizer().analyze(text, ["LOCATION"])
    assert [text[r.start : r.end] for r in results] == places


def test_two_columns_of_places_are_two_places(scanner: Scanner) -> None:
    text = "RESIDENCE\nDetroit, Michigan Wyoming, Michigan\n30 American Indian"
    found = _found(scanner, text)
    assert [v for e, v in found if e == "LOCATION"] == ["Detroit, Michigan", "Wyoming, Michigan"]
    assert ("NRP", "American Indian") in found


def test_labelled_name_stops_at_lower_case_and_labels(scanner: Scanner) -> None:
    text = "Name\nRelationship\nApplicant\nComplete the following for\nName: Ana de Souza"
    persons = [value for entity, value in _found(scanner, text) if entity == "PERSON"]
    assert "Relationship" not in persons
    assert not [p for p in persons if "following" in p]
    assert "Ana de Souza" in persons


def test_spaced_date_is_no_phone_number(scanner: Scanner) -> None:
    assert [e for e, _ in _found(scanner, "Date signed 01 / 08 / 2020") if e == "PHONE_NUMBER"] == []


@pytest.mark.parametrize(
    ("value", "plausible"),
    [("Bb RotHEe", False), ("FAtelce Nae", False), ("DeShawn McDonald", True), ("LaToya Jean-Luc", True)],
)
def test_garbled_ocr_is_no_name(value: str, plausible: bool) -> None:
    text = f"Signed by {value} today"
    assert plausible_person(_finding("PERSON", text, value), text) is plausible


def test_truecased_heading_is_no_place(scanner: Scanner) -> None:
    found = _found(scanner, "PROFILE CONTACT\n\nIAN WHITFIELD\n\nEDUCATION")
    assert [e for e, _ in found if e in ("LOCATION", "NRP")] == []


@pytest.mark.parametrize("value", ["Suffix", "Social", "§"])
def test_labels_are_no_groups(value: str) -> None:
    assert ner_noise(_finding("NRP", f"{value} 1", value), "en")


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("8123 STREET ADDRES\nYOUR CITY WA 99999-1234 ae\n15 SEX M", ["YOUR CITY WA 99999-1234"]),
        ("Seattle, WA 98101", ["Seattle, WA 98101"]),
        ("Invoice total 12 WA 98101 items", []),  # not a line of its own
    ],
)
def test_locality_line(text: str, places: list[str]) -> None:
    results = UsPlaceRecognizer().analyze(text, ["LOCATION"])
    assert [text[r.start : r.end] for r in results] == places


def test_capital_name_with_an_ocr_speck(scanner: Scanner) -> None:
    assert ("PERSON", "CHRIS SMITH") in _found(scanner, "Driver's License\n\nCHRIS SMITH @\n\nMain Street")


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Call the helpline 1-866-562-5227 for help", None),
        ("Toll free 1800 180 1947", None),
        ("My cell is (217) 555-0147", "(217) 555-0147"),
    ],
)
def test_toll_free_numbers_are_hotlines(scanner: Scanner, text: str, phone: str | None) -> None:
    phones = [value for entity, value in _found(scanner, text) if entity == "PHONE_NUMBER"]
    assert phones == ([phone] if phone else [])


@pytest.mark.parametrize(
    ("line", "truecased"),
    [
        ("KAUFMAN SCOTT [M] 05.09.2012", True),  # a medical image's burned-in header
        ("APPLES GALA 3.49", False),  # a receipt line
        ("DRIVER LICENSE CLASS D", False),
    ],
)
def test_caps_line_with_sex_and_date(line: str, truecased: bool) -> None:
    assert (ner_piece(line) != line) is truecased


@pytest.mark.parametrize(("value", "noise"), [("VA", True), ("MD", True), ("Richmond", False), ("Rio", False)])
def test_a_state_code_alone_is_no_place(value: str, noise: bool) -> None:
    assert ner_noise(_finding("LOCATION", f"in {value} today", value), "en") is noise
