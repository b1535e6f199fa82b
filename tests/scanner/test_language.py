"""Language detection picks the OCR pack and the national recognizers."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.engine import Detector
from piiscan.scanner.language import detect_language
from piiscan.scanner.model import TextSegment
from piiscan.scanner.pipeline import Scanner
from piiscan.synth.render import image_bytes, text_image


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sehr geehrte Damen und Herren, hiermit teile ich Ihnen meine neue Anschrift mit.", "de"),
        ("Estimado señor, le escribo para informarle de mi cambio de domicilio.", "es"),
        ("Madame, Monsieur, je vous informe de mon changement d'adresse.", "fr"),
        ("Dear Sir, please find the invoice for March attached.", "en"),
        ("hello", None),
        ("4111 1111 1111 1111 / 2026-03-01", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_german_page_is_read_with_the_german_pack(scanner: Scanner) -> None:
    lines = [
        "Jürgen Köhler",
        "Schillerstraße 24, 74253 Griesbach",
        "Sehr geehrte Damen und Herren, bitte ändern Sie meine Anschrift.",
        "Mit freundlichen Grüßen",
        "",
        "Jürgen Köhler",
    ]
    out = scanner.scan(image_bytes(text_image(lines, font_size=30)), "brief.png")
    assert out.extraction is not None
    ocr = next(s for s in out.extraction.segments if s.source == "ocr")
    assert ocr.language == "de" and "Köhler" in ocr.text and "Grüßen" in ocr.text
    assert "Jürgen Köhler" in [f.text for f in out.result.findings if f.entity_type == "PERSON"]


def test_national_identifiers_only_in_their_language(scanner: Scanner) -> None:
    detector: Detector = scanner.detector
    spanish = "Le adjunto una copia de mi documento nacional, NIF 12345678Z, para el contrato."
    english = "Our order reference is 12345678Z, please keep it for the contract."
    in_spanish = detector.detect([TextSegment(spanish, 1, "text_layer")])
    in_english = detector.detect([TextSegment(english, 1, "text_layer")])
    assert [f.entity_type for f in in_spanish if f.entity_type == "ES_NIF"] == ["ES_NIF"]
    assert [f.entity_type for f in in_english if f.entity_type == "ES_NIF"] == []


def test_a_document_gets_one_language_from_its_opening_text(scanner: Scanner) -> None:
    pages = [
        TextSegment(
            "Sehr geehrte Damen und Herren, hiermit kündige ich meinen Vertrag zum Monatsende.", 1, "text_layer"
        ),
        TextSegment("Steuer-ID 12 345 678 901", 2, "text_layer"),
    ]
    scanner.detector.detect(pages)
    assert [p.language for p in pages] == ["de", "de"]
