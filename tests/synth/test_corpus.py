"""The labelled synthetic corpus: complete, truthful labels, valid numbers, seeded output."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from piiscan.synth.corpus import (
    INTL_LANGUAGES,
    KINDS,
    Sample,
    build_samples,
    expected_verdict,
    generate,
    iban_ok,
    luhn_ok,
    write_samples,
)
from piiscan.synth.render import mrz_check_digit

TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
ENTITY_TYPES = {
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "DATE_TIME",
    "STREET_ADDRESS",
    "MRZ",
    "GPS_COORDINATES",
    "IP_ADDRESS",
}
VERDICTS = {"personal_data", "third_party_data", "sensitive_document", "clean"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[Sample]]:
    samples = build_samples(n_per_kind=1, seed=7)
    out = tmp_path_factory.mktemp("corpus")
    labels_path = write_samples(samples, out, seed=7)
    return out, json.loads(labels_path.read_text(encoding="utf-8")), samples


@pytest.fixture(scope="module")
def other_seed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = generate(tmp_path_factory.mktemp("seed8"), n_per_kind=1, seed=8)
    labels: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return labels


def _entities(labels: dict[str, Any], entity_type: str) -> list[str]:
    return [
        e["text"] for entry in labels["files"].values() for e in entry["entities"] if e["entity_type"] == entity_type
    ]


def _mrz_format(text: str) -> str:
    """Validate every check digit of a TD1 or TD3 MRZ; returns the format."""
    lines = text.split("\n")
    if len(lines) == 2:
        assert [len(line) for line in lines] == [44, 44]
        l2 = lines[1]
        for start, end in ((0, 9), (13, 19), (21, 27), (28, 42)):
            assert mrz_check_digit(l2[start:end]) == l2[end], text
        composite = l2[0:10] + l2[13:20] + l2[21:43]
        assert mrz_check_digit(composite) == l2[43], text
        return "TD3"
    assert len(lines) == 3 and [len(line) for line in lines] == [30, 30, 30], text
    l1, l2 = lines[0], lines[1]
    assert mrz_check_digit(l1[5:14]) == l1[14], text
    assert mrz_check_digit(l2[0:6]) == l2[6], text
    assert mrz_check_digit(l2[8:14]) == l2[14], text
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    assert mrz_check_digit(composite) == l2[29], text
    return "TD1"


def test_labels_cover_exactly_the_written_files(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    out, labels, _ = corpus
    assert labels["version"] == 1 and labels["seed"] == 7
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "labels.json"}
    assert written == set(labels["files"])
    for name in written:
        assert (out / name).stat().st_size > 0, name


def test_every_kind_and_language_present(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    _, labels, _ = corpus
    entries = labels["files"].values()
    assert {e["kind"] for e in entries} == set(KINDS)
    intl = {e["language"] for e in entries if e["kind"] == "intl_letter"}
    assert intl == set(INTL_LANGUAGES)
    # one file per kind, the other-language letters once per language
    assert len(labels["files"]) == len(KINDS) - 1 + len(INTL_LANGUAGES)


def test_label_fields_are_well_formed(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    _, labels, _ = corpus
    for name, entry in labels["files"].items():
        assert set(entry) == {"kind", "language", "expected_verdict", "clean_scan", "entities"}, name
        assert entry["expected_verdict"] in VERDICTS
        assert isinstance(entry["clean_scan"], bool)
        for entity in entry["entities"]:
            assert entity["entity_type"] in ENTITY_TYPES, (name, entity)
            assert entity["text"].strip(), (name, entity)
            assert entity["page"] >= 1
        if entry["kind"] in ("negative", "receipt"):
            assert entry["entities"] == [] and entry["expected_verdict"] == "clean", name
    verdicts = {e["kind"]: e["expected_verdict"] for e in labels["files"].values()}
    assert verdicts["chat_screenshot"] == "third_party_data"
    assert verdicts["form"] == verdicts["id_document"] == "sensitive_document"
    assert verdicts["photo_gps"] == verdicts["docx"] == verdicts["scanned_letter"] == "personal_data"


def test_verdict_rule() -> None:
    from piiscan.synth.corpus import Entity

    assert expected_verdict("form", [Entity("IBAN_CODE", "DE89 3704 0044 0532 0130 00")]) == "personal_data"
    assert expected_verdict("chat_screenshot", [Entity("PERSON", "A B")]) == "third_party_data"
    assert expected_verdict("chat_screenshot", [Entity("US_SSN", "536-22-8841")]) == "sensitive_document"
    assert expected_verdict("negative", []) == "clean"


def test_labels_are_what_was_rendered(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    _, _, samples = corpus
    for sample in samples:
        for entity in sample.entities:
            lines = sample.pages[entity.page]
            text = "\n".join(lines)
            joined = ", ".join(line.strip() for line in lines)
            assert entity.text in text or (entity.entity_type == "STREET_ADDRESS" and entity.text in joined), (
                sample.name,
                entity,
            )


def test_mrz_check_digits_on_both_seeds(
    corpus: tuple[Path, dict[str, Any], list[Sample]], other_seed: dict[str, Any]
) -> None:
    formats = {_mrz_format(text) for labels in (corpus[1], other_seed) for text in _entities(labels, "MRZ")}
    assert formats == {"TD1", "TD3"}  # the document type alternates with index + seed


def test_numbers_are_valid(corpus: tuple[Path, dict[str, Any], list[Sample]], other_seed: dict[str, Any]) -> None:
    for labels in (corpus[1], other_seed):
        cards = _entities(labels, "CREDIT_CARD")
        assert cards
        for card in cards:
            digits = card.replace(" ", "")
            assert digits.isdigit() and len(digits) in (15, 16) and luhn_ok(digits), card
        ibans = _entities(labels, "IBAN_CODE")
        assert len(ibans) >= len(INTL_LANGUAGES)
        assert all(iban_ok(iban) for iban in ibans), ibans
        for ssn in _entities(labels, "US_SSN"):
            assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", ssn), ssn
            area, group, serial = ssn.split("-")
            assert area not in ("000", "666") and int(area) < 900 and group != "00" and serial != "0000"
            assert ssn not in ("078-05-1120", "123-45-6789")


def test_phone_numbers_are_valid_for_their_country(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    phonenumbers = pytest.importorskip("phonenumbers")
    region = {"en": "US", "de": "DE", "fr": "FR", "es": "ES"}
    for name, entry in corpus[1]["files"].items():
        for entity in entry["entities"]:
            if entity["entity_type"] == "PHONE_NUMBER":
                number = phonenumbers.parse(entity["text"], region[entry["language"]])
                assert phonenumbers.is_valid_number(number), (name, entity["text"])


def test_masked_receipts_hold_no_card_number(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    receipts = [s for s in corpus[2] if s.kind == "receipt"]
    assert receipts
    for sample in receipts:
        lines = sample.pages[1]
        assert any(re.search(r"(\*{4} ){3}\d{4}|X{12}\d{4}|(x{4} ){3}\d{4}", line) for line in lines)
        for line in lines:
            assert not re.search(r"\d{13,}", re.sub(r"[ -]", "", line)), line
    for sample in corpus[2]:
        if sample.kind == "negative":
            for line in sample.pages[1]:
                for run in re.findall(r"\d[\d ]{14,}\d", line):
                    digits = run.replace(" ", "")
                    assert len(digits) != 16 or not luhn_ok(digits), line


def test_text_layers_carry_the_labels_on_the_right_page(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    from docx import Document
    from pypdf import PdfReader

    out, labels, _ = corpus
    for name, entry in labels["files"].items():
        if entry["kind"] == "pdf_text":
            pages = [page.extract_text() for page in PdfReader(out / name).pages]
            assert len(pages) == 3
            for entity in entry["entities"]:
                assert entity["page"] in (2, 3)
                text = pages[entity["page"] - 1]
                wanted = (
                    entity["text"].split(", ", 1) if entity["entity_type"] == "STREET_ADDRESS" else [entity["text"]]
                )
                assert all(part in text for part in wanted), (name, entity)
                assert entity["text"] not in pages[0]
        elif entry["kind"] == "pdf_scan":
            assert len(PdfReader(out / name).pages) == 2
            assert {e["page"] for e in entry["entities"]} == {2}
        elif entry["kind"] == "docx":
            doc = Document(str(out / name))
            header = "\n".join(p.text for p in doc.sections[0].header.paragraphs)
            body = "\n".join(p.text for p in doc.paragraphs)
            cells = "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
            everything = "\n".join((header, body, cells))
            assert all(e["text"] in everything for e in entry["entities"])
            assert any(e["text"] in header for e in entry["entities"])
            assert any(e["text"] in body for e in entry["entities"])
            assert any(e["text"] in cells for e in entry["entities"])


def test_photo_gps_matches_the_exif_reader(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    from piiscan.scanner.extract.images import read_metadata

    out, labels, _ = corpus
    photos = [(n, e) for n, e in labels["files"].items() if e["kind"] == "photo_gps"]
    assert photos
    for name, entry in photos:
        (entity,) = entry["entities"]
        assert entity["entity_type"] == "GPS_COORDINATES"
        metadata = "\n".join(s.text for s in read_metadata(Image.open(out / name)))
        assert entity["text"] in metadata


def test_same_seed_same_labels_other_seed_different(
    corpus: tuple[Path, dict[str, Any], list[Sample]], other_seed: dict[str, Any], tmp_path: Path
) -> None:
    again = generate(tmp_path / "again", n_per_kind=1, seed=7)
    assert json.loads(again.read_text(encoding="utf-8")) == corpus[1]
    assert other_seed["files"] != corpus[1]["files"]


def test_crisp_form_is_readable_by_tesseract(corpus: tuple[Path, dict[str, Any], list[Sample]]) -> None:
    """Real Tesseract reads the labelled e-mail off a crisp form.

    Tesseract sometimes reads "first.last@" in DejaVu Sans as "first. last@" (it depends
    on the font size), so blanks next to "." and "@" are closed before comparing; every
    other character must be read exactly.
    """
    pytesseract = pytest.importorskip("pytesseract")
    if not (TESSDATA / "eng.traineddata").exists():
        pytest.skip("Tesseract English data is not installed")
    out, labels, _ = corpus
    name, entry = next((n, e) for n, e in labels["files"].items() if e["kind"] == "form" and e["clean_scan"])
    (email,) = [e["text"] for e in entry["entities"] if e["entity_type"] == "EMAIL_ADDRESS"]
    with Image.open(io.BytesIO((out / name).read_bytes())) as image:
        text = pytesseract.image_to_string(image, lang="eng", config=f"--tessdata-dir {TESSDATA}")
    assert email in re.sub(r"[ \t]*([.@])[ \t]*", r"\1", text), text
