"""Identity numbers: check-digit formats and values printed after an identity-number label.

Every number here is made up; check characters are computed in the test."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.recognizers import (
    EinRecognizer,
    HkIdRecognizer,
    HkNameCodeRecognizer,
    LabelledIdRecognizer,
    LabelledSsnRecognizer,
)
from piiscan.scanner.detect.recognizers.id_numbers import hkid_check, plausible_id
from piiscan.scanner.model import TextSegment
from piiscan.scanner.pipeline import Scanner

# Verhoeff's dihedral-group tables, as published (Verhoeff 1969).
_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def _verhoeff_complete(digits: str) -> str:
    check = 0
    for i, digit in enumerate(reversed(digits)):
        check = _D[check][_P[(i + 1) % 8][int(digit)]]
    return digits + str(_INV[check])


def _aadhaar(body: str) -> str:
    number = _verhoeff_complete(body)
    return f"{number[:4]} {number[4:8]} {number[8:]}"


def _found(scanner: Scanner, text: str, source: str = "ocr") -> list[tuple[str, str]]:
    segment = TextSegment(text=text, page=1, source=source, words=[], language="en")
    return [(f.entity_type, f.text) for f in scanner.detector.detect([segment])]


def test_hkid_check_matches_the_published_example() -> None:
    assert hkid_check("A", "123456") == "3"  # the format's documented example, A123456(3)


@pytest.mark.parametrize("letters", ["A", "K", "XA", "WX"])
def test_hkid_found_with_its_check_and_not_with_another(letters: str) -> None:
    digits = "472019"
    check = hkid_check(letters, digits)
    wrong = "0" if check != "0" else "1"
    text = f"Card holder {letters}{digits}({check}) and {letters}{digits}({wrong})"
    results = HkIdRecognizer().analyze(text, ["HK_ID_CARD"])
    assert [text[r.start : r.end] for r in results] == [f"{letters}{digits}({check})"]


def test_hkid_without_brackets_needs_identity_card_words() -> None:
    number = "C668812" + hkid_check("C", "668812")
    assert HkIdRecognizer().analyze(f"order {number} shipped", ["HK_ID_CARD"]) == []
    text = f"HONG KONG IDENTITY CARD\n{number}"
    assert [text[r.start : r.end] for r in HkIdRecognizer().analyze(text, ["HK_ID_CARD"])] == [number]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("HONG KONG PERMANENT IDENTITY CARD\nCHAN, Tai Man\n1004 3127 0542\nDate of Birth", ["1004 3127 0542"]),
        ("HONG KONG IDENTITY CARD\n  7093 2110 \n", ["7093 2110"]),
        ("HONG KONG IDENTITY CARD\n1004 3127 0542 99\n2024\n", []),  # not groups of four; one group
        ("Price list\n1004 3127 0542\n", []),  # not on a Hong Kong identity card
    ],
)
def test_hk_name_code_only_on_a_hong_kong_identity_card(text: str, codes: list[str]) -> None:
    results = HkNameCodeRecognizer().analyze(text, ["ID_NUMBER"])
    assert [text[r.start : r.end] for r in results] == codes


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("USCIS#\n000-731-582\n\nCountry of Birth", "000-731-582"),
        ("Passport No. / No. Pasport\n\nP7730215\n\nNationality", "P7730215"),
        ("Identity No.: 880412-14-5531", "880412-14-5531"),
        ("Personal No. 4406129936", "4406129936"),
        ("IDENTITY CARD\nDocument number CZ6311T47", "CZ6311T47"),
        ("Health insurance\nMember ID XKB 804412977 02\nGroup 7741", "XKB 804412977 02"),
        ("Prefix Identification # Suffix\nXKB 804412977 02", "XKB 804412977 02"),  # the header's other columns
        ("Enrollment No 2231/40972/11853", "2231/40972/11853"),
        ("W-2 Wage and Tax Statement\nd Control number\n00081137", "00081137"),
        ("Your Aadhaar No. :\n\n5521 0937 4418\n", "5521 0937 4418"),  # under the label, check not needed
    ],
)
def test_labelled_id_value_on_the_line_or_under_it(text: str, value: str) -> None:
    results = LabelledIdRecognizer().analyze(text, ["ID_NUMBER"])
    assert [text[r.start : r.end] for r in results] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "Passport No. see page 3",  # a word, not a number
        "ID No. 12/03/2020",  # a date
        "Document No 12",  # too few digits
        "Please bring your passport and 2 photos taken 2024",  # no number label
        "INVOICE\nDocument No. 4711-2291\nTotal 120.00",  # a generic label outside identity papers
        "Loyalty club\nMember ID 88120931",
    ],
)
def test_labelled_id_ignores_words_dates_and_unlabelled_numbers(text: str) -> None:
    assert LabelledIdRecognizer().analyze(text, ["ID_NUMBER"]) == []


def test_plausible_id_rejects_lower_case_words() -> None:
    assert not plausible_id("see1234")
    assert plausible_id("K1234567")


def test_aadhaar_needs_its_check_and_its_word(scanner: Scanner) -> None:
    valid = _aadhaar("49731805162")
    digits = valid.replace(" ", "")
    invalid = f"{valid[:-1]}{(int(valid[-1]) + 1) % 10}"
    assert ("IN_AADHAAR", valid) in _found(scanner, f"Your Aadhaar No. : {valid}")
    assert not any(t == "IN_AADHAAR" for t, _ in _found(scanner, f"Your Aadhaar No. : {invalid}"))
    # a bare 12-digit number passes Verhoeff one time in ten: without the word it is not reported
    assert not any(t == "IN_AADHAAR" for t, _ in _found(scanner, f"Invoice total ref {digits} paid"))


def test_fiscal_code_found_in_english_text(scanner: Scanner) -> None:
    # codice fiscale layout: surname, name, year, month letter, day, municipality, check letter
    body = "MRTLSN80A41H501"
    odd_values = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]
    odd = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", odd_values[:10] + odd_values, strict=True))
    even = {ch: (int(ch) if ch.isdigit() else ord(ch) - ord("A")) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    total = sum(odd[ch] if i % 2 == 0 else even[ch] for i, ch in enumerate(body))
    code = body + chr(ord("A") + total % 26)
    # typed text: OCR repair reads a trailing Z after digits as 2
    assert ("IT_FISCAL_CODE", code) in _found(scanner, f"FISCAL CODE\n{code}", source="text")
    wrong = body + ("A" if code[-1] != "A" else "B")
    assert ("IT_FISCAL_CODE", wrong) not in _found(scanner, f"Reference\n{wrong}", source="text")


def test_a_labelled_id_printed_again_is_reported_at_each_printing(scanner: Scanner) -> None:
    text = "Your Aadhaar No.:\n5521 0937 4418\nMale\n5521 0937 4418\nissued 5521 0937 44189"
    found = _spans(scanner, text)
    # both printings, not the longer number that merely starts with the same digits
    assert [text[a:b] for a, b, _ in found] == ["5521 0937 4418", "5521 0937 4418"]


def test_a_licence_number_printed_up_the_cards_edge_is_reported_too(scanner: Scanner) -> None:
    text = "DRIVER LICENSE\n4d DLN\nD0882145XY\n1 ROE\n2 JANE\nD0882145XY"
    found = _spans(scanner, text)
    assert [text[a:b] for a, b, _ in found] == ["D0882145XY", "D0882145XY"]
    assert len({t for _, _, t in found}) == 1  # the copy keeps the type its evidence gave


def test_a_short_labelled_value_is_not_searched_again(scanner: Scanner) -> None:
    text = "Passport No. K7712\nTotal 7712 K7712 fee"
    assert [text[a:b] for a, b, _ in _spans(scanner, text)] == ["K7712"]


def _spans(scanner: Scanner, text: str) -> list[tuple[int, int, str]]:
    segment = TextSegment(text=text, page=1, source="text", words=[], language="en")
    identifiers = {"ID_NUMBER", "IN_AADHAAR", "US_DRIVER_LICENSE", "US_PASSPORT"}
    found = scanner.detector.detect([segment])
    return sorted((f.start or 0, f.end or 0, f.entity_type) for f in found if f.entity_type in identifiers)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Social Security Number: 987-65-4327", "987-65-4327"),  # the advertising range Presidio drops
        ("Social Security No. 000-41-7730", "000-41-7730"),  # area 000, never issued
        ("a Employee's Soc Sec No 1 Wages, tips\n204-71-3358 41002.10", "204-71-3358"),  # box below
        ("SSN 312-55.0981", "312-55.0981"),  # mixed separators, as OCR reads them
        ("000-41-7730\nTHIS NUMBER HAS BEEN ESTABLISHED FOR\n\nJANE ROE", "000-41-7730"),  # the card
    ],
)
def test_labelled_ssn_is_reported_whatever_its_range(text: str, value: str) -> None:
    results = LabelledSsnRecognizer().analyze(text, ["US_SSN"])
    assert [text[r.start : r.end] for r in results] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "Order 987-65-4327 shipped",  # no label
        "Social Security Number: see attached",  # no value
        "Social Security Number\nPlease write it here\n\n987-65-4327 is our order",  # not the next line, no row end
        "SSN 987-65-43271",  # longer digit run
        "000-41-7730\nSee the number established for you",  # not the card's wording
    ],
)
def test_labelled_ssn_needs_the_label_and_the_layout(text: str) -> None:
    assert LabelledSsnRecognizer().analyze(text, ["US_SSN"]) == []
    assert LabelledSsnRecognizer().analyze("SSN 987-65-4327", ["PERSON"]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Employer identification number: 41-2089365", ["41-2089365"]),
        ("b Employer ID number (EIN) 4120.50 310.22\n\nMedicare wages\n41- 2089365 4120.50", ["41- 2089365"]),
        ("Part no. 41-2089365", []),  # the layout alone is any reference
        ("EIN\n" + "line\n" * 5 + "41-2089365", []),  # too far from the label
        ("EIN 41-20893651", []),  # a longer digit run
    ],
)
def test_ein_needs_its_label_and_layout(text: str, expected: list[str]) -> None:
    assert [text[r.start : r.end] for r in EinRecognizer().analyze(text, ["ID_NUMBER"])] == expected


def test_labelled_ssn_in_the_last_column_of_a_table() -> None:
    text = (
        "Name (Last, First) Relationship Date of Birth Social Security\n"
        "M/F mm/dd/yy Number\n\n"
        "Roe Dana Self | F | 03/04/81 | 318-40.7725\n"
        "Roe Kim Child | M | 05/06/09 | 318-40-7726 |\n"
        "Phone 555-0100\n"
    )
    found = [text[r.start : r.end] for r in LabelledSsnRecognizer().analyze(text, ["US_SSN"])]
    assert found == ["318-40.7725", "318-40-7726"]


def test_ssn_column_needs_the_header_last_on_its_line_and_rows_near_it() -> None:
    not_last = "Social Security Tax Amount\nFederal 318-40-7725\n"
    assert LabelledSsnRecognizer().analyze(not_last, ["US_SSN"]) == []
    far = "Social Security\n" + "row\n" * 9 + "Roe Dana 318-40-7725\n"
    assert LabelledSsnRecognizer().analyze(far, ["US_SSN"]) == []
