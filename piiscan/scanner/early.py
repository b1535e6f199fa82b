"""Stop a scan at the first critical verdict (``PIISCAN_STOP_AT_FIRST_CRITICAL``, ``--stop-at-critical``).

A platform that blocks an upload at ``critical`` severity (a threat, a doxxing post, a file
on a hash list) need not read the rest of a 200-page document once one page has settled it.
:class:`CriticalWatch` detects and evaluates the pages as they come (each OCRed page as soon
as it is read, text-layer pages a few at a time, in page order); once the decision is
critical, the OCR of later pages is skipped and their text is not analysed. The report says
so in its ``warnings`` (``stopped_at_critical``), and its findings are those of the pages read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PIL import Image

from piiscan.rules.context import ScanContext
from piiscan.rules.engine import RuleEngine
from piiscan.scanner.detect.engine import Detector
from piiscan.scanner.extract.base import Warning_
from piiscan.scanner.model import Extraction, Finding, TextSegment

PAGES_PER_CHECK = 4
"""Text-layer pages analysed between two checks: detection is cheaper in batches (one NER pass)."""


class CriticalWatch:
    """Accumulates the findings of pages read so far and says when the verdict is critical."""

    def __init__(self, detector: Detector, rules: RuleEngine, context: ScanContext | None, sha256: str) -> None:
        self.detector = detector
        self.rules = rules
        self.context = context
        self.sha256 = sha256
        self.findings: list[Finding] = []
        self.checked: list[TextSegment] = []
        self.stopped_after: int | None = None
        """The last page read when the verdict became critical."""

    def wrap_ocr(self, ocr: Callable[[Image.Image, int], TextSegment]) -> Callable[[Image.Image, int], TextSegment]:
        """An OCR callback that checks each page it reads, and reads no page after a critical one."""

        def watched(image: Image.Image, page: int) -> TextSegment:
            if self.stopped_after is not None:
                return TextSegment(text="", page=page, source="ocr")
            segment = ocr(image, page)
            self._check([segment])
            return segment

        return watched

    def _check(self, segments: Sequence[TextSegment]) -> bool:
        self.findings.extend(self.detector.detect(segments))
        self.checked.extend(segments)
        pages = max((s.page for s in self.checked), default=1)
        decision = self.rules.evaluate(
            self.findings, Extraction(segments=list(self.checked), pages=pages), self.context, sha256=self.sha256
        )
        if decision.severity == "critical" and self.stopped_after is None:
            self.stopped_after = max((s.page for s in segments), default=pages)
        return self.stopped_after is not None

    def finish(self, extraction: Extraction) -> tuple[list[Finding], Warning_ | None]:
        """Check the segments not checked yet (text layers, metadata) page by page; the findings."""
        seen = {id(s) for s in self.checked}
        rest = sorted((s for s in extraction.segments if id(s) not in seen), key=lambda s: s.page)
        while rest and self.stopped_after is None:
            first = rest[0].page
            batch = [s for s in rest if s.page < first + PAGES_PER_CHECK]
            rest = rest[len(batch) :]
            self._check(batch)
        self.findings.sort(key=lambda f: (f.page, f.origin or "", f.start))
        if self.stopped_after is None:
            return self.findings, None
        extraction.segments = list(self.checked)  # the rules see what was read, nothing more
        message = (
            f"Stopped after page {self.stopped_after} of {extraction.pages}: the verdict was already critical, "
            "so later pages were not scanned."
        )
        return self.findings, Warning_("stopped_at_critical", message)
