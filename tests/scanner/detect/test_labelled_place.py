"""Places printed under an identity document's birthplace or residence label."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.recognizers import LabelledPlaceRecognizer


def _places(text: str) -> list[str]:
    return [text[r.start : r.end] for r in LabelledPlaceRecognizer().analyze(text, ["LOCATION"])]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Lugar de nacimiento / Place of birth\n\nTOLEDO\nSexo / Sex", "TOLEDO"),
        ("GEMEINDE / MUNICIPALITY\nHALLSTATT\n\nNAME", "HALLSTATT"),
        ("PLACE AND DATE OF BIRTH\n\nVERONA (VR) / 02.04.1990", "VERONA (VR)"),
        ("RESIDENZA / RESIDENCE\nVia Dei Mille 7, Cremona (CR)", "Via Dei Mille 7, Cremona (CR)"),
        ("Place of birth:\nKINGSTON UPON HULL", "KINGSTON UPON HULL"),
    ],
)
def test_places_under_labels(text: str, place: str) -> None:
    assert _places(text) == [place]


@pytest.mark.parametrize(
    "text",
    [
        "LUOGO DI NASCITA\nPLACE OF BIRTH\n\n",  # the English label under the national one, no value
        "Place of birth\n12.05.1980",  # a date, no place
        "Residence permits are issued by the office.\nVIENNA",  # a word in prose, not a label line
        "Place of birth\nsee attached page",  # lower case: no value printed
    ],
)
def test_no_place_under_labels(text: str) -> None:
    assert _places(text) == []
