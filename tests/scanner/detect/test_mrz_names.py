"""Holder names taken from a passport's MRZ names line when the rest of the MRZ is unreadable.
Every name and number is made up."""

from __future__ import annotations

import pytest

from piiscan.scanner.detect.recognizers import MrzNameRecognizer
from piiscan.scanner.model import TextSegment
from piiscan.scanner.pipeline import Scanner


def _names_line(names: str, state: str = "UTO") -> str:
    return f"P<{state}{names}".ljust(44, "<")


def _names(text: str) -> list[str]:
    return sorted(text[r.start : r.end] for r in MrzNameRecognizer().analyze(text, ["PERSON"]))


# the second line fails its check digits (a digit read as a letter), as OCR leaves it
_BROKEN_LINE2 = "L898902C<3UTO740812OF1204159ZE184226B<<<<<1O"


def test_names_printed_outside_the_mrz_are_reported() -> None:
    text = f"TALVIK\nEERO JUHANI\nPASSPORT\n\n{_names_line('TALVIK<<EERO<JUHANI')}\n{_BROKEN_LINE2}"
    assert _names(text) == ["EERO", "JUHANI", "TALVIK"]


def test_names_line_with_a_damaged_state_code() -> None:
    text = f"ORRIN\nMR\n{_names_line('MR<ORRIN', state='GB<')}\n"
    assert _names(text) == ["MR", "ORRIN"]


def test_fillers_read_as_letters() -> None:
    """OCR reads fillers as K inside the padding run and the first filler after a name as X."""
    line = "P<UTOTALVIK<<EEROX<<<<<<<<KKKKKK<KKKKKKKK<K"
    assert len(line) == 43
    assert _names(f"TALVIK\nEERO\n{line}\n{_BROKEN_LINE2}") == ["EERO", "TALVIK"]
    # the X is kept where the page prints the name with it
    assert _names(f"TALVIK\nEEROX\n{line}") == ["EEROX", "TALVIK"]


@pytest.mark.parametrize(
    "text",
    [
        f"{_names_line('TALVIK<<EERO')}\n{_BROKEN_LINE2}",  # printed nowhere else
        "TALVIK\nP<UTOTALVIK<<EERO<<<",  # too short for a names line
        f"TALVIK\nX<UTO{'TALVIK<<EERO'.ljust(39, '<')}",  # not a passport's document code
        f"talvik wrote\n{_names_line('TALVIK<<EERO')}",  # lower case is a word, not the printed name
    ],
)
def test_no_names_without_a_names_line_and_a_printed_copy(text: str) -> None:
    assert _names(text) == []


def test_single_word_names_survive_the_person_filters(scanner: Scanner) -> None:
    text = f"TALVIK\nEERO\n\n{_names_line('TALVIK<<EERO')}\n{_BROKEN_LINE2}"
    segment = TextSegment(text=text, page=1, source="ocr", words=[], language="en")
    found = {(f.entity_type, f.text) for f in scanner.detector.detect([segment])}
    assert {("PERSON", "TALVIK"), ("PERSON", "EERO")} <= found


def test_mrz_names_only_for_person() -> None:
    text = f"TALVIK\n{_names_line('TALVIK<<EERO')}"
    assert MrzNameRecognizer().analyze(text, ["ID_NUMBER"]) == []
