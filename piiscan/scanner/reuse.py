"""In-process reuse of a result for identical bytes (the CLI and library path).

The service reuses through PostgreSQL (:func:`piiscan.workers.jobs.run_scan`); a process that
scans files itself (``piiscan scan`` over a folder with copies, a library caller that sees the
same attachment again) keeps its last results here instead. The key is everything that can
change a result: the bytes' SHA-256, the rule-pack version, the context (hashed: the
uploader's identity is not kept in the key), the stop-at-critical choice and a fingerprint of
the settings. Bound: ``max_entries`` results (least recently used dropped first), and a result
with more than ``max_findings`` findings is not kept; only the :class:`ScanResult` is kept (no
page images, no extracted text), so memory stays within a few KB per entry.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import replace

from piiscan.rules.context import ScanContext
from piiscan.scanner.model import ScanResult
from piiscan.settings import Settings

DEFAULT_ENTRIES = 256
DEFAULT_MAX_FINDINGS = 500

Key = tuple[str, str, str, bool]


def settings_fingerprint(settings: Settings) -> str:
    """A hash of every setting (any may change a result; secrets only enter as part of the hash)."""
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()


def context_digest(context: ScanContext | None) -> str:
    return hashlib.sha256(repr(context or ScanContext()).encode()).hexdigest()


class ResultCache:
    """A bounded, thread-safe LRU of finished results."""

    def __init__(self, max_entries: int = DEFAULT_ENTRIES, max_findings: int = DEFAULT_MAX_FINDINGS) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.max_findings = max_findings
        self._entries: OrderedDict[Key, ScanResult] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key, source: str, elapsed_ms: float) -> ScanResult | None:
        """A copy of the kept result for ``key``, naming ``source`` (its findings are shared, read-only)."""
        with self._lock:
            kept = self._entries.get(key)
            if kept is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
        return replace(
            kept,
            source=source,
            findings=list(kept.findings),
            rules=list(kept.rules),
            warnings=list(kept.warnings),
            elapsed_ms=elapsed_ms,
        )

    def put(self, key: Key, result: ScanResult) -> None:
        """Keep a finished result; errors are not kept (a retry may succeed), nor very large reports."""
        if result.verdict == "error" or len(result.findings) > self.max_findings:
            return
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
