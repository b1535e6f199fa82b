"""MRZ repairs confirmed by check digits, the MRZ's numbers printed elsewhere on the page, and the
band re-read of a photographed MRZ. Documents are built here with the ICAO 9303 builders."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from piiscan.scanner.detect.recognizers import MrzNumberRecognizer
from piiscan.scanner.detect.recognizers.mrz import find_mrzs, mrz_quality
from piiscan.scanner.model import BBox, TextSegment
from piiscan.scanner.ocr import OcrWord, _canonical_lines, _filler_runs, _mrz_fragment, get_engine, ocr_image
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from tests.scanner.detect.test_recognizers import SPECIMEN_TD1, SPECIMEN_TD3, td1, td3
from tests.scanner.test_ocr_blank import CountingEngine


def test_find_mrzs_gives_optional_data_and_lines() -> None:
    lines = td3("KOWALSKA", "EWA", "XK4471902", "880412", "310101", personal="63041155321")
    (data, start, end), *rest = find_mrzs("\n".join(lines))
    assert rest == [] and (start, end) == (0, 89)
    assert data.optional_data == ("63041155321",)
    assert data.lines == lines


def test_td1_document_number_letters_read_for_digits_are_repaired() -> None:
    line1, line2, line3 = td1("CA0035011", "870328", "280831", "ROSSO<<ANNA")
    misread = line1[:7] + line1[7:12].replace("0", "D") + line1[12:]
    (data, _, _), *_ = find_mrzs("\n".join((misread, line2, line3)))
    assert data.document_number == "CA0035011"
    assert data.lines[0] == line1


def test_td1_optional_filler_read_as_a_letter_is_repaired_by_the_composite() -> None:
    line1, line2, line3 = td1("CA0035011", "870328", "280831", "ROSSO<<ANNA")
    misread = line1[:15] + "S" + line1[16:]
    (data, _, _), *_ = find_mrzs("\n".join((misread, line2, line3)))
    assert data.composite_valid and data.lines[0] == line1
    assert mrz_quality("\n".join((misread, line2, line3))) == 3


def test_filler_runs_and_fragments() -> None:
    assert _filler_runs("ROSSI<<ELENA<<<<KSKSKSSKK") == "ROSSI<<ELENA<<<<<<<<<<<<<"
    assert _filler_runs("MARKS<<ANNA<<<<") == "MARKS<<ANNA<<<<"  # a name keeps its letters
    assert _mrz_fragment("CKITACADDDDOAA4S <<< KKK SSK")
    assert not _mrz_fragment("Date of birth 12 MAR 1980")


def test_mrz_numbers_found_where_the_page_prints_them() -> None:
    lines = td3("KOWALSKA", "EWA", "XK4471902", "880412", "310101", personal="63041155321")
    text = "Passport\nNo. xk4471902\nPersonal code 63041155321\n\n" + "\n".join(lines)
    results = MrzNumberRecognizer().analyze(text, ["ID_NUMBER"])
    assert sorted(text[r.start : r.end] for r in results) == ["63041155321", "xk4471902"]
    assert MrzNumberRecognizer().analyze("No. XK4471902 without an MRZ", ["ID_NUMBER"]) == []


def _page(lines: tuple[str, ...], size: int) -> Image.Image:
    page = Image.new("RGB", (1400, 700), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=size)
    draw.text((60, 60), "IDENTITY CARD", fill="black", font=ImageFont.load_default(size=40))
    for i, line in enumerate(lines):
        draw.text((40, 420 + i * int(size * 1.6)), line, fill="black", font=font)
    return page


def test_band_reread_only_on_pages_with_an_mrz_like_line() -> None:
    settings = Settings()
    plain = Image.new("RGB", (1400, 700), "white")
    ImageDraw.Draw(plain).text((60, 60), "Minutes of the meeting, 3 May", fill="black", font=ImageFont.load_default(40))
    engine = CountingEngine(get_engine(settings))
    ocr_image(plain, 1, settings, engine)
    plain_reads = engine.reads
    engine = CountingEngine(get_engine(settings))
    segment = ocr_image(_page(SPECIMEN_TD1, 26), 1, settings, engine)
    assert mrz_quality(segment.text) >= 2
    assert plain_reads <= 2  # the first read (and at most the small-print pass): no MRZ passes


def test_td3_specimen_read_from_a_rendered_page() -> None:
    settings = Settings()
    segment = ocr_image(_page(SPECIMEN_TD3, 24), 1, settings)
    assert mrz_quality(segment.text) >= 2


def _words(lines: tuple[str, ...]) -> list[OcrWord]:
    return [OcrWord((-2, 0, i, 0), BBox(10, 40 * i, 600, 30), 80.0, line) for i, line in enumerate(lines)]


def test_canonical_lines_replace_a_read_the_check_digits_confirm() -> None:
    line1, line2, line3 = td1("CA0035011", "870328", "280831", "ROSSO<<ANNA")
    read = (line1[:7] + line1[7:12].replace("0", "D") + line1[12:], line2, line3)
    assert [w.text for w in _canonical_lines(_words(read))] == [line1, line2, line3]
    reversed_read = _words(tuple(reversed(SPECIMEN_TD3)))
    assert _canonical_lines(reversed_read) == reversed_read  # bottom line first: boxes would not match


def test_mrz_number_printed_nowhere_else_is_reported_once_inside_the_mrz(scanner: Scanner) -> None:
    lines = td3("KOWALSKA", "EWA", "XK4471902", "880412", "310101")
    text = "PASSPORT\nSurname KOWALSKA\n\n" + "\n".join(lines)
    results = MrzNumberRecognizer().analyze(text, ["ID_NUMBER"])
    assert [text[r.start : r.end] for r in results] == ["XK4471902"]
    assert results[0].start > text.index("P<")
    segment = TextSegment(text=text, page=1, source="text", words=[], language="en")
    found = [(f.entity_type, f.text) for f in scanner.detector.detect([segment])]
    assert ("ID_NUMBER", "XK4471902") in found and any(t == "MRZ" for t, _ in found)
