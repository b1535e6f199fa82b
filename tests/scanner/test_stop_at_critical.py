"""``stop_at_critical``: a scan ends at the first page that makes the verdict critical."""

from __future__ import annotations

import pytest

from piiscan.scanner.early import PAGES_PER_CHECK
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.synth.render import image_pdf, text_image, text_pdf

THREAT = ["Watch your back tonight when you leave the office."]


def _contact(page: int) -> list[str]:
    return [f"Please write to the office at clerk{page}@example.com about the schedule."]


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    scanner = Scanner(Settings())
    scanner.warm_up()
    return scanner


def test_text_pages_after_a_critical_one_are_not_analysed(scanner: Scanner) -> None:
    pages = [THREAT] + [_contact(n) for n in range(2, 11)]
    data = text_pdf(pages)

    full = scanner.scan(data, "thread.pdf").result
    assert full.severity == "critical"
    assert {f.page for f in full.findings if f.entity_type == "EMAIL_ADDRESS"} == set(range(2, 11))
    assert not full.warnings

    early = scanner.scan(data, "thread.pdf", stop_at_critical=True).result
    assert early.verdict == full.verdict == "abusive" and early.severity == "critical"
    assert early.pages == 10
    assert {f.page for f in early.findings if f.entity_type == "EMAIL_ADDRESS"} == set(range(2, PAGES_PER_CHECK + 1))
    [warning] = early.warnings
    assert warning["code"] == "stopped_at_critical"
    assert f"after page {PAGES_PER_CHECK} of 10" in str(warning["message"])


def test_later_pages_are_not_ocred(scanner: Scanner) -> None:
    images = [text_image(THREAT, width=1400, font_size=30)] + [
        text_image(_contact(n), width=1400, font_size=30) for n in (2, 3)
    ]
    data = image_pdf(images)
    calls: list[int] = []
    ocr = scanner._ocr

    def counting(image, page):  # type: ignore[no-untyped-def]
        calls.append(page)
        return ocr(image, page)

    scanner._ocr = counting  # type: ignore[method-assign]
    try:
        early = scanner.scan(data, "scan.pdf", stop_at_critical=True).result
    finally:
        scanner._ocr = ocr  # type: ignore[method-assign]
    assert calls == [1]
    assert early.severity == "critical" and early.pages == 3
    assert not [f for f in early.findings if f.page > 1]
    assert early.warnings[0]["code"] == "stopped_at_critical"


def test_no_critical_page_means_a_full_scan(scanner: Scanner) -> None:
    data = text_pdf([_contact(n) for n in range(1, 7)])
    plain = scanner.scan(data, "letters.pdf").result
    watched = scanner.scan(data, "letters.pdf", stop_at_critical=True).result
    assert watched.severity != "critical" and not watched.warnings
    assert [(f.entity_type, f.page, f.start, f.end) for f in watched.findings] == [
        (f.entity_type, f.page, f.start, f.end) for f in plain.findings
    ]
    assert (watched.verdict, watched.severity) == (plain.verdict, plain.severity)
