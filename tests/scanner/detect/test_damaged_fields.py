"""Fields whose check OCR (or the printer) broke but whose layout and label still say what they are:
an MRZ failing its check digits, a names line with fillers read as letters, a card number failing
Luhn on the card's face, a labelled fiscal code failing its check letter, a licence number printed
again with a stray mark, a certificate number above its caption, a name in a colon-less form row.

Every value here is made up; check characters are computed by the builders of test_recognizers."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.recognizers import MrzNumberRecognizer, MrzRecognizer, parse_mrz
from piiscan.scanner.detect.recognizers.card_face import CardFaceRecognizer, luhn_valid
from piiscan.scanner.detect.recognizers.mrz import find_mrz_layouts, find_mrzs
from piiscan.scanner.detect.recognizers.mrz_names import repair_names_lines
from piiscan.scanner.model import TextSegment
from piiscan.scanner.pipeline import Scanner
from tests.scanner.detect.test_recognizers import td1, td3


def _found(scanner: Scanner, text: str) -> list[tuple[str, str]]:
    segment = TextSegment(text=text, page=1, source="ocr", words=[], language="en")
    return [(f.entity_type, f.text) for f in scanner.detector.detect([segment])]


def _broken(line: str, *positions: int) -> str:
    for step, position in enumerate(positions, 1):
        line = line[:position] + str((int(line[position]) + step) % 10) + line[position + 1 :]
    return line


# --- MRZ by its layout ---------------------------------------------------------------------


def test_zone_failing_two_checks_is_still_an_mrz_at_the_layout_score() -> None:
    line1, line2 = td3("OKAFOR", "CHIDI", "PX7731904", "790214", "330521", sex="M")
    text = "Passport\n" + line1 + "\n" + _broken(line2, 9, 27)
    assert parse_mrz(text) is None  # nothing vouches for the fields
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert [(r.score, text[r.start : r.end]) for r in results] == [
        (MrzRecognizer.SCORE_LAYOUT_ONLY, line1 + "\n" + _broken(line2, 9, 27))
    ]
    numbers = MrzNumberRecognizer().analyze(text, entities=["ID_NUMBER"], nlp_artifacts=None)
    assert [(text[r.start : r.end], r.score) for r in numbers] == [("PX7731904", MrzNumberRecognizer.SCORE_LAYOUT_ONLY)]


def test_misprinted_zone_without_a_check_digit_gives_its_number() -> None:
    """A prop passport's data line lacks the number's check digit, so every field is shifted."""
    names = "P<UTO<MR<QUILL" + "<" * 30
    data = "118340275UTO8203145M0712203" + "<" * 15 + "04"
    text = f"QUILL\n\n{names}\n{data}\n"
    (layout,) = find_mrz_layouts(text)
    assert (layout.document_number, text[layout.start : layout.end]) == ("118340275", f"{names}\n{data}")


def test_valid_zone_is_not_reported_twice() -> None:
    lines = td3("OKAFOR", "CHIDI", "PX7731904", "790214", "330521", sex="M")
    text = "\n".join(lines)
    assert find_mrz_layouts(text) == []
    assert [r.score for r in MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)] == [1.0]


_NAMES = "P<UTOQUILL<<ANNA" + "<" * 28
_DATA = "118340275UTO{birth}F0712203" + "<" * 15 + "04"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "ABSTRACT<<<SECTION<<HEADER" + "<" * 20 + "\nNO DATES OR DIGITS HERE AT ALL" + "<" * 13, id="no-core"
        ),
        pytest.param(_NAMES + "\n" + _DATA.format(birth="8213145"), id="month-13"),
        pytest.param("NOTE" + "<" * 40 + "\n" + _DATA.format(birth="8203145"), id="no-header"),
        pytest.param(_NAMES + "\n\nSome prose between\n" + _DATA.format(birth="8203145"), id="apart"),
    ],
)
def test_no_layout_without_every_part(text: str) -> None:
    assert find_mrz_layouts(text) == []


# --- names lines -----------------------------------------------------------------------------


def test_names_line_fillers_read_as_letters_are_put_back() -> None:
    text = "NWOSU\nADAEZE\nP<UTONWOSU<<ADAEZEX<<<<<<<<KKKKKK<KKKKKKKK<K\n"
    repaired = repair_names_lines(text)
    assert len(repaired) == len(text)
    assert repaired.splitlines()[2] == "P<UTONWOSU<<ADAEZE" + "<" * 26


def test_td1_names_line_letter_dropped_only_where_the_page_prints_the_shorter_name() -> None:
    shorter = "Given name\nMARTA\nVIDAL<<MARTAS<<<<<<<<<<<<<<<<<<\n"
    assert repair_names_lines(shorter).splitlines()[2] == shorter.splitlines()[2].replace("MARTAS", "MARTA<")
    # the page prints the longer name: it is the name
    assert repair_names_lines("FELIX\nP<UTOMAX<<FELIX" + "<" * 29 + "\n").endswith("FELIX" + "<" * 29 + "\n")
    both = "MARTA or MARTAS\nVIDAL<<MARTAS<<<<<<<<<<<<<<<<<<\n"
    assert repair_names_lines(both) == both
    assert repair_names_lines("MARKS\n") == "MARKS\n"


def test_repaired_names_line_matches_the_reported_mrz(scanner: Scanner) -> None:
    line1, line2 = td3("NWOSU", "ADAEZE", "PX7731904", "790214", "330521")
    misread = line1.replace("ADAEZE<", "ADAEZEX", 1)
    found = _found(scanner, f"PASSPORT\nNWOSU\nADAEZE\n{misread}\n{line2}\n")
    assert ("MRZ", f"{line1}\n{line2}") in found


# --- card face -------------------------------------------------------------------------------

_FACE = "Northwind Bank\n\n{number}\n\nVALID THRU 07/29\nLENA MARKOVA\n"


def _luhn_failing(number: str) -> str:
    digits = number.replace(" ", "")
    last = str((int(digits[-1]) + 1) % 10)
    wrong = number[:-1] + last
    return wrong if not luhn_valid(wrong.replace(" ", "")) else number[:-1] + str((int(last) + 1) % 10)


def test_card_face_number_failing_luhn_is_a_card() -> None:
    number = _luhn_failing("4532 0151 1283 0366")
    assert not luhn_valid(number.replace(" ", ""))
    text = _FACE.format(number=number)
    results = CardFaceRecognizer().analyze(text, entities=["CREDIT_CARD"], nlp_artifacts=None)
    assert [(text[r.start : r.end], r.score) for r in results] == [(number, CardFaceRecognizer.SCORE)]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Order summary\nReference: {number}\nShipped 07/29\nBank transfer", id="labelled-reference"),
        pytest.param("Northwind Bank\n\n{number}\n\nLENA MARKOVA\n", id="no-expiry"),
        pytest.param("Parcel 07/29\n\n{number}\n\nWarehouse 4\n", id="no-card-words"),
    ],
)
def test_luhn_failing_number_without_the_whole_face_is_not_a_card(text: str) -> None:
    text = text.format(number=_luhn_failing("4532 0151 1283 0366"))
    assert CardFaceRecognizer().analyze(text, entities=["CREDIT_CARD"], nlp_artifacts=None) == []


def test_luhn_valid_card_is_left_to_presidio(scanner: Scanner) -> None:
    text = _FACE.format(number="4532 0151 1283 0366")
    assert luhn_valid("4532015112830366")
    assert CardFaceRecognizer().analyze(text, entities=["CREDIT_CARD"], nlp_artifacts=None) == []
    assert ("CREDIT_CARD", "4532 0151 1283 0366") in _found(scanner, text)


# --- labelled values -------------------------------------------------------------------------


def test_labelled_fiscal_code_failing_its_check_letter(scanner: Scanner) -> None:
    text = "CODICE FISCALE ESTREMI ATTO\n\nFISCAL CODE 221 p3 sB-1990 004411\nVRDLCU90A41F205Q\n"
    assert ("IT_FISCAL_CODE", "VRDLCU90A41F205Q") in _found(scanner, text)
    assert not any(t == "IT_FISCAL_CODE" for t, _ in _found(scanner, "Serial VRDLCU90A41F205Q shipped\n"))


def test_licence_number_printed_again_with_a_stray_mark(scanner: Scanner) -> None:
    text = (
        "DRIVER LICENSE\n4a ISS 4d NUMBER\n05/02/2019 X71QPR40215KD\n4b EXP 3 DOB\n\n5 DD 05/02/2019\nX71QPR402)15KD\n"
    )
    found = _found(scanner, text)
    assert found.count(("US_DRIVER_LICENSE", "X71QPR40215KD")) == 2
    # more than one stray mark is another value
    assert (
        _found(scanner, text.replace("X71QPR402)15KD", "X71Q)PR402)15KD")).count(("US_DRIVER_LICENSE", "X71QPR40215KD"))
        == 1
    )


def test_certificate_number_above_its_caption(scanner: Scanner) -> None:
    assert ("ID_NUMBER", "31877204") in _found(scanner, "COUNTY OF ALDEN\n\n31877204\n\n4,\nSTATE FILE NO\n")
    far = "31877204\nThe marriage was recorded in the county register on the date below\nSTATE FILE NO\n"
    assert ("ID_NUMBER", "31877204") not in _found(scanner, far)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Resume\n\nLast Name Okonkwo\n\nFirst Name Ifeoma\n", "Okonkwo"),
        ("Surname   Lindqvist\n", "Lindqvist"),
    ],
)
def test_name_in_a_colonless_form_row(scanner: Scanner, text: str, name: str) -> None:
    assert ("PERSON", name) in _found(scanner, text)


@pytest.mark.parametrize(
    "text",
    ["Last Name Required\nFirst name optional\n", "The last name of the applicant goes here\n", "COV DOI\n"],
)
def test_form_captions_are_not_names(scanner: Scanner, text: str) -> None:
    assert not any(t == "PERSON" for t, _ in _found(scanner, text))


def test_plan_group_on_an_insurance_card(scanner: Scanner) -> None:
    card = "NORTHWIND HEALTH\nMember\nTOMAS REYES\nGroup # 4417723\nRx Group # QXRTPLN\nHEALTH SAVINGS PLAN\n"
    found = _found(scanner, card)
    assert ("ID_NUMBER", "4417723") in found and ("ID_NUMBER", "QXRTPLN") in found
    # a group elsewhere is no plan's: no identity or insurance paper
    assert not any(t == "ID_NUMBER" for t, _ in _found(scanner, "Reading group # ALPHA meets at noon\n"))


def test_place_of_birth_beside_the_sex_on_a_passport_page(scanner: Scanner) -> None:
    page = f"QUILL\nM HARTLEPOOL\n\n{_NAMES}\n{_DATA.format(birth='8203145')}\n"
    assert ("LOCATION", "HARTLEPOOL") in _found(scanner, page)
    assert ("LOCATION", "HARTLEPOOL") not in _found(scanner, "Sizes\nM HARTLEPOOL\n")


def test_two_filler_look_alikes_after_a_printed_name() -> None:
    text = "IVAN/IVAN\nP<UTOHRYNKO<<IVANKX" + "<" * 25 + "\n"
    assert repair_names_lines(text).splitlines()[1] == "P<UTOHRYNKO<<IVAN" + "<" * 27


def test_name_line_above_the_date_of_birth(scanner: Scanner) -> None:
    assert ("PERSON", "HALVORSEN TRI") in _found(scanner, "HALVORSEN TRI MI] 01.09.2012\nDOB: 06.16.1976\n")
    for heading in ("PATIENT INFORMATION\nDOB: 06.16.1976\n", "The Patient was seen\nDOB: 1.1.2000\n"):
        assert not any(t == "PERSON" for t, _ in _found(scanner, heading))


def test_name_ending_the_line_under_a_name_order_caption(scanner: Scanner) -> None:
    caption = "Name(s) of Other Borrowers\nI am applying for credit. (First, Middle, Last, Suffix) - Use a separator\n"
    found = _found(scanner, caption + "I am applying for joint credit. Total Number of Borrowers: 2 Odile Marchetti\n")
    assert ("PERSON", "Odile Marchetti") in found
    assert not any(t == "PERSON" for t, _ in _found(scanner, "Shipping (boxes)\nUnits: 2 Blue Widgets\n"))


# --- MRZ repairs every check digit confirms --------------------------------------------------


def test_lost_expiry_check_digit_is_recomputed_where_the_composite_confirms_it() -> None:
    line1, line2 = td3("ABARA", "NKEM", "S2WRLNZ54", "860323", "310216", sex="F")
    (data, _, _), *_ = find_mrzs(f"{line1}\n{line2[:27]}<{line2[28:]}")  # the digit read as a filler
    assert data.lines[1] == line2 and data.composite_valid
    dropped = line2[:27] + line2[28:]  # the digit dropped: the filler run is one short, and resized
    (data, _, _), *_ = find_mrzs(f"{line1}\n{dropped}")
    assert data.lines[1] == line2


def test_document_number_confusions_resolved_by_every_check() -> None:
    line1, line2 = td3("SOKOL", "JAN", "R5XG0FF4Y", "791125", "290129")
    misread = "R5XGOFF4Y" + line2[9:]  # O for 0
    (data, _, _), *_ = find_mrzs(f"{line1}\n{misread}")
    assert data.document_number == "R5XG0FF4Y" and data.composite_valid
    line1, line2, line3 = td1("ZG1JGKJVX", "810116", "280929", "SANTOS<<JOSE")
    (data, _, _), *_ = find_mrzs("\n".join((line1.replace("J", "I"), line2, line3)))
    assert data.document_number == "ZG1JGKJVX" and data.lines[0] == line1


def test_ambiguous_o_and_zero_keep_the_read() -> None:
    """'CA0035011' and 'CAOO35O11' pass the same checks (the weights of the three places add up to 15):
    the read's zeros stay, with the optional data's filler read as 'S' put back."""
    line1, line2, line3 = td1("CA0035011", "870328", "280831", "ROSSO<<ANNA")
    (data, _, _), *_ = find_mrzs("\n".join((line1[:15] + "S" + line1[16:], line2, line3)))
    assert data.document_number == "CA0035011" and data.lines[0] == line1


def test_page_text_carries_the_confirmed_zone() -> None:
    from piiscan.scanner.model import BBox
    from piiscan.scanner.ocr import OcrWord, _canonical_mrz

    line1, line2 = td3("SOKOL", "JAN", "R5XG0FF4Y", "791125", "290129")
    read = ["PASSPORT", line1, "R5XGOFF4Y" + line2[9:]]
    words = [OcrWord((1, 1, 1, i), BBox(0, 20 * i, 400, 18), 90.0, text) for i, text in enumerate(read)]
    assert [w.text for w in _canonical_mrz(words)] == ["PASSPORT", line1, line2]
    assert _canonical_mrz(words[:1]) == words[:1]
    # OCR split the data line in two words: the confirmed line stands once, where they stood
    split = [*words[:2], OcrWord((1, 1, 1, 2), BBox(0, 40, 200, 18), 90.0, read[2][:20])]
    split += [
        OcrWord((1, 1, 1, 2), BBox(200, 40, 200, 18), 90.0, read[2][20:]),
        OcrWord((1, 1, 1, 3), BBox(0, 60, 99, 18), 90.0, "END"),
    ]
    assert [w.text for w in _canonical_mrz(split)] == ["PASSPORT", line1, line2, "END"]


# --- what Presidio misses or mistakes --------------------------------------------------------


def test_mastercard_two_series(scanner: Scanner) -> None:
    number = "2275 1874 3344 4105"
    assert luhn_valid(number.replace(" ", ""))
    assert ("CREDIT_CARD", number) in _found(scanner, f"Card number: {number}\n")
    assert not any(t == "CREDIT_CARD" for t, _ in _found(scanner, "Card number: 2275 1874 3344 4106\n"))  # Luhn
    assert not any(t == "CREDIT_CARD" for t, _ in _found(scanner, "Card number: 2820 1874 3344 4105\n"))  # range


def test_dotted_quads_and_coordinates_are_not_phones(scanner: Scanner) -> None:
    found = _found(scanner, "Login from 203.0.113.111\nGPS coordinates: 51.504610, -0.104790\n")
    assert ("IP_ADDRESS", "203.0.113.111") in found
    assert not any(t == "PHONE_NUMBER" for t, _ in found)


def test_flat_letters_are_not_read_as_digits(scanner: Scanner) -> None:
    found = _found(scanner, "318 Fuller Drive Apt 21D, Carneytown\n5577 Forest Street Apt 21B, Mcgeemouth, IL 90845\n")
    assert ("STREET_ADDRESS", "318 Fuller Drive Apt 21D, Carneytown") in found
    assert any(t == "STREET_ADDRESS" and "Apt 21B" in v for t, v in found)


def test_name_opening_a_row_under_a_full_name_caption(scanner: Scanner) -> None:
    found = _found(scanner, "Full name Date of birth\nOrla Brennan March 5, 1963\n")
    assert ("PERSON", "Orla Brennan") in found
    for text in ("Name Quantity Price\nBlue Widget 3 5.00\n", "Full name Date\nMarch Madness 3 tickets\n"):
        assert not any(t == "PERSON" for t, _ in _found(scanner, text))
