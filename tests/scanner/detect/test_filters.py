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
        ("Vac Hrs Tovin", "Hrs Tovin", False),  # no vowel: an abbreviation or OCR fragment
        ("Signed by Mei Ng today", "Mei Ng", True),
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
        ("FullName: Ingrid Solheim Date: 01/02/2024", "Ingrid Solheim"),  # label run together
        ("To,\nPriya Raman\nC/O Ravi Raman", "Priya Raman"),  # a letter's addressee
        ("To.\n\nTomas Verhoeven\n", "Tomas Verhoeven"),
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


def _ner(entity: str, text: str, value: str) -> Finding:
    finding = _f(entity, text, value)
    finding.recognizer = "SpacyRecognizer"
    return finding


@pytest.mark.parametrize(
    ("text", "entity", "value", "kept"),
    [
        # the national half of a bilingual label, with the English half after a slash or below
        ("Lugar Emision / Issuing Office\nBERLIN", "PERSON", "Lugar Emision", False),
        ("Altura / Height\n171 cm", "LOCATION", "Altura", False),
        ("Documento /\n\nPassport Type", "LOCATION", "Documento", False),
        ("GENERE ALTEZZA PAESE\nSEX HEIGHT COUNTRY\nM 181 FRA", "PERSON", "GENERE ALTEZZA PAESE", False),
        ("Holder / Titular\nMarta Quintero", "PERSON", "Marta Quintero", True),
        ("Signed: Marta Quintero / Applicant", "PERSON", "Marta Quintero", True),
        ("Marta Quintero\nSEX HEIGHT", "PERSON", "Marta Quintero", True),
        # the issuer a document names is nobody's place
        ("ISSUED BY THE GOVT. OF NEPAL", "LOCATION", "NEPAL", False),
        ("Republic of Lorvania", "LOCATION", "Lorvania", False),
        ("Born in Lorvania in 1980", "LOCATION", "Lorvania", True),
        ("Have you lived in the U.S. before?", "LOCATION", "U.S.", False),
    ],
)
def test_labels_and_issuers_are_not_names_or_places(text: str, entity: str, value: str, kept: bool) -> None:
    finding = _ner(entity, text, value)
    assert (suppress([finding], text, "en") == [finding]) is kept


@pytest.mark.parametrize(
    ("text", "value", "kept"),
    [
        ("Die Rückzahlung von Gebühren erfolgt durch das Finanzamt im Mai.", "Rückzahlung von Gebühren", False),
        ("Bitte wenden Sie sich an Der BZSt wegen Ihrer Frage.", "Der BZSt", False),
        ("Anna BERGER", "Anna BERGER", True),  # a surname in capitals is no acronym
        ("KFZ Versicherungsfragen", "KFZ Versicherungsfragen", False),
        ("Mit freundlichen Grüßen\n\nJonas Brettschneider", "Jonas Brettschneider", True),
        ("Ich habe heute mit Herr Jonas Brettschneider darüber gesprochen.", "Jonas Brettschneider", True),
    ],
)
def test_english_ner_on_german_prose(text: str, value: str, kept: bool) -> None:
    finding = _ner("PERSON", text, value)
    assert (suppress([finding], text, "de") == [finding]) is kept


def test_the_same_prose_rule_leaves_english_alone() -> None:
    text = "Yesterday the manager called Jonas Brettschneider about the contract."
    finding = _ner("PERSON", text, "Jonas Brettschneider")
    assert suppress([finding], text, "en") == [finding]


@pytest.mark.parametrize(
    ("text", "value", "kept"),
    [
        ("Case No 2210/77381/40012", "77381/40012", False),
        ("Ref: 310 / 7B / 44018 / 51923 / K", "44018 / 51923", False),
        ("Tel.: 089/2741553", "089/2741553", True),
        ("Phone/Fax: 217 555 0147", "217 555 0147", True),
    ],
)
def test_slash_joined_reference_numbers_are_not_phones(text: str, value: str, kept: bool) -> None:
    finding = _f("PHONE_NUMBER", text, value)
    assert (suppress([finding], text) == [finding]) is kept


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("info@lorvania-tours.example", False),
        ("HELP@AGENCY.EXAMPLE.GOV", False),
        ("no-reply@shop.example", False),
        ("j.quintero@agency.example.gov", True),
        ("helpful.hannah@example.org", True),
    ],
)
def test_role_mailboxes_are_not_personal(value: str, kept: bool) -> None:
    text = f"Write to {value} today"
    finding = _f("EMAIL_ADDRESS", text, value)
    assert (suppress([finding], text) == [finding]) is kept


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
        "C. APPLICANT/FAMILY DETAILS\n\nComplete this part for each adult",
        "Relationship to Employee: SPOUSE",
        "Last Name: Qu4RTERO and more",
    ],
)
def test_labels_that_hold_no_name(text: str) -> None:
    assert LabelledNameRecognizer().analyze(text, ["PERSON"]) == []


def test_document_parts_are_not_names() -> None:
    text = "See Part Il for the details and Part Ill for the totals."
    finding = _ner("PERSON", text, "Part Il")
    assert suppress([finding], text, "en") == []


def test_a_name_above_two_labels_is_kept() -> None:
    text = "ROSA PELLEGRINO\nMember ID\nXKZ 4471"
    finding = _ner("PERSON", text, "ROSA PELLEGRINO")
    assert suppress([finding], text, "en") == [finding]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("To,\nRavi Kumar Menon\nS/O Kumar Menon\n12, Lake View Road", "Kumar Menon"),
        ("Name: ANITA DESAI D/O: PRAKASH DESAI", "PRAKASH DESAI"),
        ("c/o Harriet Lindqvist\n4 Elm Row", "Harriet Lindqvist"),
    ],
)
def test_relation_labels_name_a_person(text: str, name: str) -> None:
    found = [text[r.start : r.end] for r in LabelledNameRecognizer().analyze(text, ["PERSON"])]
    assert name in found


def test_relation_label_without_a_full_name() -> None:
    text = "S/O the applicant, see page 2"
    assert LabelledNameRecognizer().analyze(text, ["PERSON"]) == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("were married in the county of Hollis Bremer, Ohio", False),
        ("the City of Hollis Bremer issued it", False),
        ("the son of Hollis Bremer signed", True),
    ],
)
def test_a_place_named_after_someone_is_no_person(text: str, kept: bool) -> None:
    finding = _ner("PERSON", text, "Hollis Bremer")
    assert (suppress([finding], text, "en") == [finding]) is kept


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Harbour View Hotel\n14 Quay Street\nPortwell, ME 04101\nTelephone: 207-555-0190", False),
        ("REGIONAL OFFICES\n88 W. Elm Road, Dayton, OH 45402\nTel: 207-555-0190 Fax: 207-555-0191", False),
        ("Harbour View Hotel\nNadia Okonkwo, Night Manager\nMobile: 207-555-0190", True),  # a person's line
        ("Applicant details\nOffice phone: 207-555-0190", True),  # the label on the phone's own line
        ("Lena Fischer\n14 Quay Street\nPortwell, ME 04101\nTelephone: 207-555-0190", True),
    ],
)
def test_phones_under_an_organisation_heading(text: str, kept: bool) -> None:
    phone = _f("PHONE_NUMBER", text, "207-555-0190")
    found = [phone]
    if "Nadia Okonkwo" in text:
        found.append(_ner("PERSON", text, "Nadia Okonkwo"))
    assert (phone in suppress(found, text, "en")) is kept


@pytest.mark.parametrize(
    ("text", "value", "trimmed"),
    [
        ("Witness: Mr Tobias Lindqvist", "Mr Tobias Lindqvist", "Tobias Lindqvist"),
        ("Signed Tobias Lindqvist Jr today", "Tobias Lindqvist Jr", "Tobias Lindqvist"),
        # a job title after the name: the NER runs the name and the position column together
        (
            "06/06/2006 Sales Lead\nTobias Lindqvist Project Manager 01/02/2007",
            "Tobias Lindqvist Project",
            "Tobias Lindqvist",
        ),
    ],
)
def test_titles_without_vowels_are_trimmed(text: str, value: str, trimmed: str) -> None:
    kept = suppress([_ner("PERSON", text, value)], text, "en")
    assert [f.text for f in kept] == [trimmed]


def test_a_fragment_next_to_a_common_word_is_no_name() -> None:
    text = "Parking bay  QX Lot  Rent"
    assert suppress([_ner("PERSON", text, "QX Lot")], text, "en") == []


@pytest.mark.parametrize(
    ("text", "value", "kept"),
    [
        ("Plan identification # Suffix\nXYZ 2125550147 01", "2125550147", False),
        ("Personal No.\n24 FEB 91 2125550147", "2125550147", False),
        ("TAX CODE 2125550147", "2125550147", False),
        ("ZIP CODE 62704 | 212 555 0147", "212 555 0147", True),  # a postcode's label labels no number
        ("BIRTH 1991 048213", "048213", False),  # six digits: too short for a line
        ("Member ID 4471  Mobile 212 555 0147", "212 555 0147", True),
        ("Area code and number: 212 555 0147", "212 555 0147", True),
        ("Tenant reference\nWe confirm the tenant has always paid the rent on time. Reach them on 212 555 0147.",
         "212 555 0147", True),
        ("Case officer\nThe clerk who handled this for years: 212 555 0147", "212 555 0147", True),
    ],
)  # fmt: skip
def test_numbers_under_an_identifier_label_are_not_phones(text: str, value: str, kept: bool) -> None:
    finding = _f("PHONE_NUMBER", text, value)
    assert (suppress([finding], text) == [finding]) is kept


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


@pytest.mark.parametrize("entity", ["US_SSN", "CREDIT_CARD", "IN_AADHAAR", "HK_ID_CARD", "ID_NUMBER"])
def test_a_more_specific_reading_of_the_same_digits_is_not_also_a_phone(entity: str) -> None:
    text = "Aadhaar card, identity No. 2125550147"
    specific, phone = _f(entity, text, "2125550147"), _f("PHONE_NUMBER", text, "2125550147")
    assert suppress([specific, phone], text) == [specific]


@pytest.mark.parametrize(
    "text",
    [
        "Please send the form to\nMaria Lopez",  # "to" ends a prose line: not an addressee line
        "To,\nthe Manager\nCity Bank",  # no capitalised full name
        "To whom it may concern\nJohn Smith",  # "To" does not stand alone
    ],
)
def test_addressee_needs_a_to_line_and_a_name(text: str) -> None:
    found = [text[r.start : r.end] for r in LabelledNameRecognizer().analyze(text, ["PERSON"])]
    assert found == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wenke's social security number is 402-11-0987.", ["Wenke"]),
        ("We need Oskar\u2019s date of birth", ["Oskar"]),
        ("Applicant's Social Security Number", []),  # a role, not a name
        ("Employee's date of birth", []),
        ("Contoso's phone number is listed", []),  # anyone's contact nouns are not enough
        ("the wenke's passport", []),  # not capitalised
    ],
)
def test_possessor_of_personal_data_is_a_person(text: str, expected: list[str]) -> None:
    assert [text[r.start : r.end] for r in LabelledNameRecognizer().analyze(text, ["PERSON"])] == expected


def test_generic_id_number_gives_way_to_a_named_identifier() -> None:
    text = "Your Aadhaar No.: 5521 0937 4418"
    named, generic = _f("IN_AADHAAR", text, "5521 0937 4418"), _f("ID_NUMBER", text, "5521 0937 4418")
    assert suppress([named, generic], text) == [named]
    assert suppress([generic], text) == [generic]  # alone (check digit not valid), the label still names it
