"""The scan pipeline: bytes → sniff → extract → detect → rules → ScanResult.

:meth:`Scanner.scan` is the one boundary where errors become outcomes: a typed
:class:`ScanError` becomes ``verdict: error`` with its stable code; anything else
becomes ``internal_error`` and is logged by type only (never with content), so one
bad file never stops a run and nothing personal leaks through a traceback.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import time
from dataclasses import dataclass, field

from PIL import Image

from piiscan.rules.context import ScanContext
from piiscan.rules.engine import RuleEngine
from piiscan.scanner import extract as extract_mod
from piiscan.scanner import language
from piiscan.scanner.detect.engine import Detector
from piiscan.scanner.early import CriticalWatch
from piiscan.scanner.errors import FileTooLargeError, ScanError
from piiscan.scanner.extract.base import ExtractContext, Warning_
from piiscan.scanner.inputs import read_input
from piiscan.scanner.model import Extraction, Finding, ScanResult, TextSegment
from piiscan.scanner.ocr import OcrEngine, get_engine, ocr_image
from piiscan.scanner.reuse import Key, ResultCache, context_digest, settings_fingerprint
from piiscan.scanner.sniff import sniff
from piiscan.settings import Settings, get_settings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ScanOutput:
    """A result plus what only in-process callers need (page images for previews and hashing)."""

    result: ScanResult
    extraction: Extraction | None = None
    warnings: list[Warning_] = field(default_factory=list)


class Scanner:
    """Holds the loaded engines; build one per process and reuse it for every input."""

    def __init__(
        self,
        settings: Settings | None = None,
        detector: Detector | None = None,
        rules: RuleEngine | None = None,
        ocr_engine: OcrEngine | None = None,
        results: ResultCache | None = None,
    ) -> None:
        """``results``: reuse the result of identical bytes scanned earlier by this object
        (:mod:`piiscan.scanner.reuse`); off by default, the service reuses through its database."""
        self.settings = settings or get_settings()
        self._detector = detector
        self.rules = rules or RuleEngine(self.settings)
        self._ocr_engine = ocr_engine
        self.results = results
        self._fingerprint = settings_fingerprint(self.settings) if results is not None else ""

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = Detector(self.settings)
        return self._detector

    def warm_up(self) -> None:
        """Load the analyzer and the OCR engine now, not on the first upload.

        What is loaded lives as long as the process, so it is then moved out of the garbage
        collector's generations (:func:`gc.freeze`): otherwise every full collection during a
        scan walks the models' hundreds of thousands of objects again (0.05-0.2 s each here,
        half a millisecond a text page on average) and never finds anything to free there. The
        garbage of loading is collected first, so none of it is kept for good."""
        _ = self.detector
        language.warm_up()
        if self._ocr_engine is None:
            self._ocr_engine = get_engine(self.settings)
        self.rules.warm_up()
        gc.collect()
        gc.freeze()

    def _ocr(self, image: Image.Image, page: int) -> TextSegment:
        return ocr_image(image, page, self.settings, self._ocr_engine)

    def scan_source(self, source: str, context: ScanContext | None = None) -> ScanOutput:
        """Scan a path or ``s3://`` address; reading errors are outcomes too."""
        started = time.perf_counter()
        try:
            data = read_input(source, self.settings)
        except ScanError as exc:
            return ScanOutput(self._error(source, None, 0, exc, started))
        return self.scan(data, source, context)

    def scan(
        self, data: bytes, source: str, context: ScanContext | None = None, *, stop_at_critical: bool | None = None
    ) -> ScanOutput:
        """Scan one file; ``context`` (uploader, visibility, tenant) feeds the rules.

        ``stop_at_critical`` (default: the setting) ends the scan at the first page that makes
        the verdict critical (see :mod:`piiscan.scanner.early`)."""
        started = time.perf_counter()
        if stop_at_critical is None:
            stop_at_critical = self.settings.stop_at_first_critical
        sha = hashlib.sha256(data).hexdigest()
        reuse_key: Key | None = None
        if self.results is not None:
            reuse_key = (sha, f"{self.rules.version}:{self._fingerprint}", context_digest(context), stop_at_critical)
            kept = self.results.get(reuse_key, source, (time.perf_counter() - started) * 1000)
            if kept is not None:
                return ScanOutput(kept)
        media_type: str | None = None
        try:
            if len(data) > self.settings.max_file_bytes:
                raise FileTooLargeError(f"The file is {len(data)} bytes, the limit {self.settings.max_file_bytes}")
            media_type = sniff(data)
            watch = CriticalWatch(self.detector, self.rules, context, sha) if stop_at_critical else None
            ocr = watch.wrap_ocr(self._ocr) if watch else self._ocr
            ctx = ExtractContext(settings=self.settings, ocr=ocr, extract_nested=extract_mod.extract_nested)
            extraction = extract_mod.extract(data, media_type, ctx)
            if watch is None:
                findings = self.detector.detect(extraction.segments)
            else:
                findings, stopped = watch.finish(extraction)
                if stopped is not None:
                    ctx.warnings.append(stopped)
        except ScanError as exc:
            return ScanOutput(self._error(source, sha, len(data), exc, started, media_type))
        except Exception as exc:  # the boundary: an unexpected parser failure is an outcome, not a crash
            log.warning("scan failed unexpectedly", extra={"sha256": sha, "error_type": type(exc).__name__})
            result = self._error(source, sha, len(data), ScanError(), started, media_type)
            result.error = {
                "code": "internal_error",
                "message": f"The scanner failed on this file ({type(exc).__name__}); it was not scanned.",
            }
            return ScanOutput(result)
        result = self._result(source, sha, len(data), media_type, extraction, findings, started, context)
        if ctx.warnings:
            result.warnings = [w.to_dict() for w in ctx.warnings]
        if self.results is not None and reuse_key is not None:
            self.results.put(reuse_key, result)
        return ScanOutput(result, extraction, ctx.warnings)

    def _result(
        self,
        source: str,
        sha: str,
        size: int,
        media_type: str,
        extraction: Extraction,
        findings: list[Finding],
        started: float,
        context: ScanContext | None = None,
    ) -> ScanResult:
        decision = self.rules.evaluate(findings, extraction, context, sha256=sha)
        return ScanResult(
            source=source,
            sha256=sha,
            media_type=media_type,
            size=size,
            pages=extraction.pages,
            verdict=decision.verdict,
            severity=decision.severity,
            findings=findings,
            rules=decision.rules,
            rule_pack_version=decision.rule_pack_version,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def _error(
        self,
        source: str,
        sha: str | None,
        size: int,
        exc: ScanError,
        started: float,
        media_type: str | None = None,
    ) -> ScanResult:
        log.info("input not scanned", extra={"sha256": sha, "code": exc.code})
        return ScanResult(
            source=source,
            sha256=sha,
            media_type=media_type,
            size=size,
            pages=0,
            verdict="error",
            severity="none",
            rule_pack_version=self.rules.version,
            error={"code": exc.code, "message": exc.message},
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )
