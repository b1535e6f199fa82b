"""The baseline GUIDE section 5 says to beat: plain Presidio on plain Tesseract output.

Deliberately naive, so the comparison shows what piiscan's own work buys: Presidio's
``AnalyzerEngine`` with its default recognizers and score threshold (only the spaCy model is
swapped for the one we ship, and tldextract kept offline), and Tesseract's
``image_to_string`` on the image as it is (no scaling, no preprocessing, English only).
The verdict comes from piiscan's own rule engine, so verdicts differ only by findings.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageSequence

from piiscan.rules.engine import RuleEngine
from piiscan.scanner import sniff as sniff_mod
from piiscan.scanner.detect.engine import _offline_tldextract
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Finding, Source

PDF_DPI = 200


@dataclass(slots=True)
class PageText:
    page: int
    text: str
    source: Source


@dataclass(slots=True)
class BaselineOutput:
    findings: list[Finding] = field(default_factory=list)
    verdict: str = "clean"
    pages: list[PageText] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def build_plain_analyzer(model_name: str) -> Any:
    """Presidio's defaults, except for the spaCy model name (we ship a differently named package)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    _offline_tldextract()
    for noisy in ("presidio-analyzer", "presidio_analyzer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    provider = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model_name}]}
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])


def _ocr(image: Image.Image) -> str:
    import pytesseract

    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")  # Tesseract reads neither palettes nor alpha; this is no preprocessing
    text: str = pytesseract.image_to_string(image)
    return text


def _image_pages(data: bytes) -> list[PageText]:
    with Image.open(io.BytesIO(data)) as image:
        return [PageText(i, _ocr(frame.copy()), "ocr") for i, frame in enumerate(ImageSequence.Iterator(image), 1)]


def _pdf_pages(data: bytes) -> list[PageText]:
    import pypdfium2 as pdfium

    pages = []
    pdf = pdfium.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            text: str = textpage.get_text_range()
            textpage.close()
            if text.strip():
                pages.append(PageText(index + 1, text, "text_layer"))
            else:
                pages.append(PageText(index + 1, _ocr(page.render(scale=PDF_DPI / 72).to_pil()), "ocr"))
            page.close()
    finally:
        pdf.close()
    return pages


def _docx_pages(data: bytes) -> list[PageText]:
    import docx

    document = docx.Document(io.BytesIO(data))
    return [PageText(1, "\n".join(p.text for p in document.paragraphs), "text_layer")]


def extract_pages(data: bytes) -> list[PageText]:
    """Text per page the plain way; raises ValueError for file types the baseline cannot read."""
    media_type = sniff_mod.sniff(data)
    if media_type in sniff_mod.IMAGE_TYPES:
        return _image_pages(data)
    if media_type == sniff_mod.PDF:
        return _pdf_pages(data)
    if media_type == sniff_mod.DOCX:
        return _docx_pages(data)
    if media_type in sniff_mod.TEXT_TYPES:
        return [PageText(1, data.decode("utf-8-sig", errors="replace"), "text_layer")]
    raise ValueError(f"the baseline does not read {media_type}")


class Baseline:
    """Plain Presidio + plain Tesseract; build once, then :meth:`scan` each file."""

    def __init__(self, model_name: str, rules: RuleEngine | None = None, analyzer: Any | None = None) -> None:
        self.analyzer = analyzer if analyzer is not None else build_plain_analyzer(model_name)
        self.rules = rules or RuleEngine()

    def analyze(self, pages: list[PageText]) -> list[Finding]:
        findings = []
        for page in pages:
            if not page.text.strip():
                continue
            for result in self.analyzer.analyze(text=page.text, language="en"):
                value = page.text[result.start : result.end]
                findings.append(
                    Finding(
                        entity_type=result.entity_type,
                        score=float(result.score),
                        page=page.page,
                        source=page.source,
                        text=value,
                        masked=mask(result.entity_type, value),
                        start=result.start,
                        end=result.end,
                        recognizer=(result.recognition_metadata or {}).get("recognizer_name"),
                    )
                )
        return findings

    def scan(self, data: bytes) -> BaselineOutput:
        """Extract, analyse and decide; any failure is an ``error`` verdict, as in the real scanner."""
        started = time.perf_counter()
        try:
            pages = extract_pages(data)
            findings = self.analyze(pages)
        except Exception as exc:  # an unreadable file is an outcome of the run, not a crash
            return BaselineOutput(verdict="error", error=type(exc).__name__, seconds=time.perf_counter() - started)
        verdict = self.rules.evaluate(findings).verdict
        return BaselineOutput(findings, verdict, pages, seconds=time.perf_counter() - started)
