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
            "To,\nPriya Raman\nS/O Raman K\n44, Lotus Residency\nTemple Road\nKadavanthra\nKochi\n"
            "Kerala 682020\n98200 00000",
            "44, Lotus Residency\nTemple Road\nKadavanthra\nKochi\nKerala 682020",
        ),
        (
            "Address: 3rd Floor,\nLotus Plaza,\nLink Road,\nChennai - 600 028",
            "Lotus Plaza,\nLink Road,\nChennai - 600 028",
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
        "Subscriber\nANNA ROSS\n\nPolicy # Suffix\nXYZ 12345678 01\n\nPharmacy BIN# 610014",
        "Invoice total\nShipped by courier\nOrder 700123",  # no address line above the number
        "Kochi\nKerala 682020",  # a town and a postcode alone
        "Tel.: 089 27512764",
        "Reference code\nLorem ipsum dolor\nBatch 1 of 3\nSerial no 682020",
    ],
)
def test_not_address_blocks(text: str) -> None:
    assert _blocks(text) == []


def test_town_lines_inside_a_block_are_no_places_of_their_own() -> None:
    text = "12, Lake View Apartments\nTemple Road\nAluva\nKerala 683101"
    block = AddressBlockRecognizer().analyze(text, ["STREET_ADDRESS"])[0]
    address = Finding("STREET_ADDRESS", block.score, 1, "ocr", text, mask("STREET_ADDRESS", text), 0, len(text))
    start = text.index("Aluva")
    town = Finding("LOCATION", 0.85, 1, "ocr", "Aluva", "A***", start, start + 5, recognizer="SpacyRecognizer")
    assert suppress([address, town], text, "en") == [address]
