"""piiscan against presidio-image-redactor's ``ImageAnalyzerEngine`` on the same labelled images.

Both read the same synthetic images (:mod:`piiscan.synth.corpus`, English files only) with
the local Tesseract and the spaCy package piiscan ships (tldextract kept offline): nothing
is downloaded. Time is each system's own call on the image (``Scanner.scan`` against
``ImageAnalyzerEngine.analyze``); accuracy is precision, recall and F1 by entity type, page
and normalised value, the matching ``piiscan eval`` uses.
"""

from __future__ import annotations

import io
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from PIL import Image

from piiscan.evaluate.baseline import build_plain_analyzer
from piiscan.evaluate.datasets import Entity, load_synthetic
from piiscan.evaluate.metrics import Counts, add_counts, dedupe, evaluated_types, item_counts, match, micro
from piiscan.scanner.pipeline import Scanner
from piiscan.synth.corpus import generate

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(slots=True)
class SystemScore:
    seconds: float
    counts: Counts

    def line(self, name: str) -> str:
        p, r, f = self.counts.precision, self.counts.recall, self.counts.f1
        return f"{name:26} {self.seconds:8.2f} s   P {p or 0:.3f}  R {r or 0:.3f}  F1 {f or 0:.3f}"


@dataclass(slots=True)
class Comparison:
    images: int
    piiscan: SystemScore
    presidio: SystemScore

    @property
    def time_ratio(self) -> float:
        return self.piiscan.seconds / self.presidio.seconds


class _Recording:
    """Wraps Presidio's AnalyzerEngine to keep the text it analysed (the image engine's results
    carry boxes, not values), so both systems are scored on values."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self.found: list[tuple[str, str]] = []

    def analyze(self, text: str, **kwargs: Any) -> Any:
        results = self.analyzer.analyze(text=text, **kwargs)
        self.found = [(r.entity_type, text[r.start : r.end]) for r in results]
        return results

    def __getattr__(self, name: str) -> Any:
        return getattr(self.analyzer, name)


def build_presidio_image_engine(model_name: str) -> tuple[Any, _Recording]:
    from presidio_image_redactor import ImageAnalyzerEngine, TesseractOCR

    recording = _Recording(build_plain_analyzer(model_name))
    engine: Any = ImageAnalyzerEngine(analyzer_engine=cast(Any, recording), ocr=TesseractOCR())
    return engine, recording


def compare(scanner: Scanner, n_per_kind: int = 2, seed: int = 7) -> Comparison:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = load_synthetic(generate(Path(tmp), n_per_kind=n_per_kind, seed=seed))
        items = [i for i in corpus.items if i.path.suffix.lower() in IMAGE_SUFFIXES and i.language == "en"]
        engine, recording = build_presidio_image_engine(scanner.settings.spacy_model)
        supported = set(recording.analyzer.get_supported_entities("en"))
        types = evaluated_types({e.entity_type for i in items for e in i.entities}, supported)
        totals: dict[str, dict[str, Counts]] = {"piiscan": {}, "presidio": {}}
        seconds = {"piiscan": 0.0, "presidio": 0.0}
        for item in items:
            data = item.path.read_bytes()
            image = Image.open(io.BytesIO(data))
            image.load()
            engine.analyze(image)  # the first call of a process pays set-up; not timed
            started = time.perf_counter()
            engine.analyze(image)
            seconds["presidio"] += time.perf_counter() - started
            presidio_found = [Entity(t, v, 1) for t, v in recording.found]
            started = time.perf_counter()
            result = scanner.scan(data, item.name).result
            seconds["piiscan"] += time.perf_counter() - started
            piiscan_found = [Entity(f.entity_type, f.text or "", f.page) for f in result.findings]
            for name, found in (("piiscan", piiscan_found), ("presidio", presidio_found)):
                found = dedupe(found) if corpus.distinct_labels else found
                add_counts(totals[name], item_counts(item.entities, found, match(item.entities, found, types)))
        headline = [t for t in types if t not in corpus.partial_types]  # as ``piiscan eval`` reports
    return Comparison(
        images=len(items),
        piiscan=SystemScore(seconds["piiscan"], micro(totals["piiscan"], headline)),
        presidio=SystemScore(seconds["presidio"], micro(totals["presidio"], headline)),
    )
