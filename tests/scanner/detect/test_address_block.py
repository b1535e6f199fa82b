"""Address blocks closing with a six-digit postcode line, and the town lines inside them."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.filters import suppress
from piiscan.scanner.detect.recognizers import AddressBlockRecognizer
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Finding


def _blocks(text: str) -> list[str]:
    return [text[r.start : r.end] for r in AddressBlockRecognizer().analyze(text, ["STREET_ADDRESS"])]


@pytest.mark.parametrize(
    ("text", "block"),
    [
        (
            "To,\nPriya Raman\nS/O Raman K\n44, Lotus Residency\nStation Road\nVile Parle\nMumbai\n"
            "Maharashtra 400057\n98200 00000",
            "44, Lotus Residency\nStation Road\nVile Parle\nMumbai\nMaharashtra 400057",
        ),
        (
            "Address: 2nd Floor,\nOrchid Towers,\nOuter Ring Road,\nBengaluru - 560 103",
            "Orchid Towers,\nOuter Ring Road,\nBengaluru - 560 103",
        ),
        (
            "Flat 9 Green Park Society\nKothrud\n\nPune 411038",
            "Flat 9 Green Park Society\nKothrud\n\nPune 411038",
        ),
    ],
)
def test_address_blocks(text: str, block: str) -> None:
    assert _blocks(text) == [block]


@pytest.mark.parametrize(
    "text",
    [
        "Member\nANNA ROSS\n\nPlan identification # Suffix\nXYZ 12345678 01\n\nRx BIN# 610014",
        "Invoice total\nShipped by courier\nOrder 700123",  # no address line above the number
        "Mumbai\nMaharashtra 400057",  # a town and a postcode alone
        "Tel.: 089 27512764",
        "Reference code\nLorem ipsum dolor\nBatch 1 of 3\nSerial no 400057",
    ],
)
def test_not_address_blocks(text: str) -> None:
    assert _blocks(text) == []


def test_town_lines_inside_a_block_are_no_places_of_their_own() -> None:
    text = "12, Lake View Apartments\nMain Road\nThane\nMaharashtra 400601"
    block = AddressBlockRecognizer().analyze(text, ["STREET_ADDRESS"])[0]
    address = Finding("STREET_ADDRESS", block.score, 1, "ocr", text, mask("STREET_ADDRESS", text), 0, len(text))
    start = text.index("Thane")
    town = Finding("LOCATION", 0.85, 1, "ocr", "Thane", "T***", start, start + 5, recognizer="SpacyRecognizer")
    assert suppress([address, town], text, "en") == [address]
