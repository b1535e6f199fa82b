"""Form-field recognizers: local phone numbers, framed address fields, names under captions."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.recognizers import (
    FormAddressRecognizer,
    FormNameRecognizer,
    LocalPhoneRecognizer,
    NameTableRecognizer,
)
from piiscan.scanner.model import TextSegment
from piiscan.scanner.pipeline import Scanner


def _values(
    recognizer: LocalPhoneRecognizer | FormAddressRecognizer | FormNameRecognizer | NameTableRecognizer, text: str
) -> list[str]:
    entity = recognizer.supported_entities[0]
    return [text[r.start : r.end] for r in recognizer.analyze(text, [entity])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Full Name: Jane Doe\nPhone Number: 555-0100]\nHome Address: 1 Elm St", ["555-0100"]),
        ("Home Phone Day/Message/Cell Phone E-mail Address\n\n( ) 414-2285 jd@example.com", ["414-2285"]),
        ("30. Phone No.\n555-0100\n\n01/05/2007", ["555-0100"]),
        ("Telephone: (702) 486-1404 Fax: (702) 486-1441", []),  # tails of full numbers
        ("Order 555-0100 shipped", []),  # no phone label
        ("Phone: 555-0100-22", []),
        ("Tel. 2024-0001", []),
        ("Phone\nInvoice total\n555-0100", []),  # the label is two lines up
        # no exchange starts with 0 or 1, but a number written after the empty area-code box is a phone
        ("Home Phone Cell Phone\n( ) 155-0142 () 104-2231", ["155-0142", "104-2231"]),
        ("Phone\nRef 155-0142", []),
    ],
)
def test_local_phone_needs_a_phone_label(text: str, expected: list[str]) -> None:
    assert _values(LocalPhoneRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Street 16 ( Unit #\nCity Glendale State CA ZIP 91201 Country United States", ["Glendale"]),
        ("Street 3533 Rosa View Unit # 5\nCity Richmondport State CA ZIP94804", ["Richmondport", "3533 Rosa View"]),
        ("City State ZIP Code", []),
        ("The City of Springfield State Fair", []),
        ("Main Street 12 Unit", []),
        ("Landlord Name: Oak Homes\nAddress: 77 Willow Bend Telephone No.: ( ) 555-0199", ["77 Willow Bend"]),
        ("Address: 77 Willow Bend Fax 555-0199", ["77 Willow Bend"]),
        ("Address: Willow Bend Telephone", []),  # no house number
        ("Address: 77 Willow Bend\n", []),  # no field label closes the value
    ],
)
def test_form_address_takes_values_between_field_labels(text: str, expected: list[str]) -> None:
    assert _values(FormAddressRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. To (Name and address of employer)\n\nAlejandro Rosalez\n123 Any Street", ["Alejandro Rosalez"]),
        ("29. Print or type name signed in Item 26\n\nRICHARD ROE\n\nVA Secretary", ["RICHARD ROE"]),
        ("Full name: Jane Doe\nJohn Smith", []),  # "Label: value" is the labelled-name recognizer's
        ("Annual report\n\nJohn Smith\n", []),  # no caption above
        ("Name of applicant\nLast First", []),  # form words, not a name
        ("Name of applicant\nUnited States", []),
        # a caption whose note wrapped onto a line of its own
        ("Name (First, Last) Tax Number\n(or other identification)\n\nMarta Quiroga\n", ["Marta Quiroga"]),
        ("Annual report\n(in thousands)\n\nJohn Smith\n", []),  # the note continues no name caption
    ],
)
def test_form_name_needs_a_caption_asking_for_a_name(text: str, expected: list[str]) -> None:
    assert _values(FormNameRecognizer(), text) == expected


def test_form_fields_are_found_through_the_detector(scanner: Scanner) -> None:
    text = (
        "Verification of Employment\n\n1. To (Name and address of employer)\n\nAlejandro Rosalez\n"
        "123 Any Street, Any Town\n\n30. Phone No.\n555-0100\n\n"
        "Current Address\nCity Glendale State CA ZIP 91201\n"
    )
    findings = scanner.detector.detect([TextSegment(text=text, page=1, source="ocr", words=[])])
    found = {(f.entity_type, f.text) for f in findings}
    assert ("PERSON", "Alejandro Rosalez") in found
    assert ("PHONE_NUMBER", "555-0100") in found
    assert ("LOCATION", "Glendale") in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Name\n(Last, First, Middle) Relationship M/F Date of Birth\n\n"
            "Roe Dana setF | F | 02/03/81 | 123-45-6789\nRoe Milo Son | M | 04/05/09 |\n\nMailing Address City\n",
            ["Roe Dana", "Roe Milo"],
        ),
        ("Surname, First name Age\nQuill Avery K 34\n", ["Quill Avery K"]),
        ("(Last, First) Relationship\nRoe Dana Spouse\n", []),  # a row goes on with figures
        ("(Last, First) Date\nDate Due 01/02/03\n", []),  # form words
        ("Roe Dana | Spouse | 02/03/81\n", []),  # no header naming the column
    ],
)
def test_name_table_takes_the_rows_under_a_last_first_header(text: str, expected: list[str]) -> None:
    assert _values(NameTableRecognizer(), text) == expected


def test_form_recognizers_ignore_unrequested_entities() -> None:
    text = "Name of employer\n\nAlejandro Rosalez\nPhone No.\n555-0100\nCity Glendale State CA ZIP 91201"
    for recognizer in (LocalPhoneRecognizer(), FormAddressRecognizer(), FormNameRecognizer()):
        assert recognizer.analyze(text, ["US_SSN"]) == []
        assert len(recognizer.analyze(text, recognizer.supported_entities)) == 1
