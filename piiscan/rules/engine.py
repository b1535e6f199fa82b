"""Turn findings plus context into one verdict a platform can act on, and explain it.

:meth:`RuleEngine.evaluate` runs every enabled rule of the loaded packs and returns a
:class:`Decision`: one verdict and severity for the report, plus every rule that fired
(each a :class:`RuleHit` with its own verdict, severity and reason), plus the version of
the packs that made it.

Precedence of the report's verdict (the rules that fired are all listed regardless):

1. ``illegal``: a file on an operator's hash list; nothing else matters more.
2. ``abusive``: threats, harassment or hate in the text.
3. ``sensitive_document`` and ``third_party_data``, by severity; on a tie
   ``sensitive_document`` (identity theft is the harder harm to undo).
4. ``personal_data``: personal data whose owner cannot be told.
5. ``own_data``: every identifying finding is the uploader's own.

So the uploader's own passport is a ``sensitive_document`` (its severity lowered because it
is theirs: low when private, high when public) and the ``own_data`` rule is listed beside
it: the platform must still handle an identity document with care, and the reviewer sees
that it is the uploader's. The report's severity is the highest of all the rules that fired,
so a listed-but-outranked rule still sets the urgency (an abusive post that also doxxes
someone is ``abusive`` and ``critical``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from piiscan.rules.abuse import AbuseDetector, AbuseMatch, ProfanityModel, TextClassifier
from piiscan.rules.context import ScanContext, Visibility
from piiscan.rules.hashlists import HashListStore, pdq_hash
from piiscan.rules.loader import RuleSet, load_ruleset
from piiscan.rules.ownership import Attributed, Owner, OwnershipMatcher, SegmentKey, name_tokens
from piiscan.rules.schema import (
    ClassifierRule,
    ExposureRule,
    HashRule,
    LayoutRule,
    PhraseRule,
    SensitiveRule,
    SeverityByVisibility,
)
from piiscan.scanner.model import SEVERITY_ORDER, Extraction, Finding, RuleHit, Severity, Verdict
from piiscan.settings import Settings, get_settings

VERDICT_TIERS: dict[str, int] = {
    "illegal": 0,
    "abusive": 1,
    "sensitive_document": 2,
    "third_party_data": 2,
    "personal_data": 3,
    "own_data": 4,
}
_TIE_BREAK: dict[str, int] = {"sensitive_document": 0, "third_party_data": 1}
_OWNERS: tuple[Owner, ...] = ("own", "third_party", "unknown")

log = logging.getLogger(__name__)
_shared_classifier = ProfanityModel()


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    severity: Severity
    rules: list[RuleHit]
    rule_pack_version: str


def decide(hits: Sequence[RuleHit], version: str) -> Decision:
    """Apply the precedence above; ``rules`` come back in that order, the deciding one first."""
    if not hits:
        return Decision("clean", "none", [], version)
    ordered = sorted(
        hits, key=lambda h: (VERDICT_TIERS[h.verdict], -SEVERITY_ORDER[h.severity], _TIE_BREAK.get(h.verdict, 0))
    )
    severity = max(hits, key=lambda h: SEVERITY_ORDER[h.severity]).severity
    return Decision(ordered[0].verdict, severity, ordered, version)


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _where(pages: Iterable[int], noun: str = "page") -> str:
    numbers = sorted(set(pages))
    if not numbers:
        return ""
    if len(numbers) == 1:
        return f"on {noun} {numbers[0]}"
    return f"on {noun}s {_join([str(n) for n in numbers])}"


class RuleEngine:
    """Evaluates findings and extracted content against the rule packs.

    Built with no arguments it loads the built-in packs plus ``settings.rule_pack_dir`` and
    the hash lists in ``settings.hash_list_dir``; every collaborator can be passed instead.
    A bad pack or hash list raises here (:class:`~piiscan.rules.loader.RulePackError`,
    :class:`~piiscan.rules.hashlists.HashListError`), never in the middle of a scan.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        ruleset: RuleSet | None = None,
        pack_dir: str | Path | None = None,
        hash_lists: HashListStore | None = None,
        classifier: TextClassifier | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.ruleset = ruleset or load_ruleset(pack_dir if pack_dir is not None else self.settings.rule_pack_dir)
        if hash_lists is None and self.settings.hash_list_dir:
            hash_lists = HashListStore(self.settings.hash_list_dir, self.settings.hash_list_check_s)
        self.hash_lists = hash_lists
        self.classifier: TextClassifier = classifier if classifier is not None else _shared_classifier
        self._sensitive_types = frozenset(e for r in self.ruleset.of_type(SensitiveRule) for e in r.entities)

    @property
    def version(self) -> str:
        return self.ruleset.version

    def warm_up(self) -> None:
        """Load the abuse classifier now rather than on the first upload with text."""
        if self.ruleset.of_type(ClassifierRule) and isinstance(self.classifier, ProfanityModel):
            self.classifier.load()

    def evaluate(
        self,
        findings: Sequence[Finding],
        extraction: Extraction | None = None,
        context: ScanContext | None = None,
        sha256: str | None = None,
    ) -> Decision:
        ctx = context or ScanContext()
        visibility = ctx.visibility
        hits: list[RuleHit] = []
        hits += self._hash_hits(sha256, extraction, visibility)
        hits += self._abuse_hits(findings, extraction, visibility)
        attributed = self._attribute(findings, ctx, extraction)
        hits += self._sensitive_hits(attributed, visibility)
        hits += self._layout_hits(findings, attributed, extraction, visibility)
        hits += self._exposure_hits(attributed, visibility)
        return decide(hits, self.version)

    # -- helpers -------------------------------------------------------------------------

    def _hit(self, rule: Any, visibility: Visibility, **values: str) -> RuleHit:
        severity: SeverityByVisibility = rule.severity
        reason = rule.reason.format_map(defaultdict(str, visibility=visibility, **values))
        return RuleHit(id=rule.id, verdict=rule.verdict(), severity=severity.at(visibility), reason=reason)

    def _kinds(self, types: Iterable[str]) -> str:
        ordered = sorted(set(types), key=lambda t: (t != "PERSON", self.ruleset.label(t)))
        return _join([self.ruleset.label(t) for t in ordered])

    # -- illegal -------------------------------------------------------------------------

    def _hash_hits(self, sha256: str | None, extraction: Extraction | None, visibility: Visibility) -> list[RuleHit]:
        if self.hash_lists is None:
            return []
        rules = self.ruleset.of_type(HashRule)
        if not rules:
            return []
        index = self.hash_lists.current()
        hits: list[RuleHit] = []
        exact = index.match_sha256(sha256) if sha256 else []
        perceptual: list[tuple[str, str, int, int]] = []  # list, label, distance, image number
        if extraction is not None and extraction.images and index.pdq_entries and any(r.match == "pdq" for r in rules):
            limits = self.ruleset.thresholds
            for number, image in enumerate(extraction.images, start=1):
                try:
                    value, quality = pdq_hash(image)
                except (OSError, ValueError) as exc:  # a damaged embedded picture: skip it, not the scan
                    log.warning("image not hashed", extra={"error_type": type(exc).__name__})
                    continue
                if quality < limits.pdq_min_quality:
                    continue
                for entry, distance in index.match_pdq(value, limits.pdq_max_distance):
                    perceptual.append((entry.list_name, entry.label, distance, number))
        for rule in rules:
            if rule.match == "sha256" and exact:
                hits.append(
                    self._hit(
                        rule,
                        visibility,
                        list=_join(sorted({e.list_name for e in exact})),
                        label=_join(sorted({e.label for e in exact if e.label})) or "no label",
                        distance="0",
                        where="",
                    )
                )
            elif rule.match == "pdq" and perceptual:
                hits.append(
                    self._hit(
                        rule,
                        visibility,
                        list=_join(sorted({m[0] for m in perceptual})),
                        label=_join(sorted({m[1] for m in perceptual if m[1]})) or "no label",
                        distance=str(min(m[2] for m in perceptual)),
                        where=_where((m[3] for m in perceptual), "image"),
                    )
                )
        return hits

    # -- abusive -------------------------------------------------------------------------

    def _abuse_hits(
        self, findings: Sequence[Finding], extraction: Extraction | None, visibility: Visibility
    ) -> list[RuleHit]:
        if extraction is None or not extraction.segments:
            return []
        if not (self.ruleset.of_type(PhraseRule) or self.ruleset.of_type(ClassifierRule)):
            return []
        detector = AbuseDetector(self.ruleset, self.classifier)
        matches = detector.find(((s.page, s.text) for s in extraction.segments), {f.entity_type for f in findings})
        by_rule: dict[str, list[AbuseMatch]] = defaultdict(list)
        for match in matches:
            by_rule[match.rule_id].append(match)
        hits: list[RuleHit] = []
        for rule in self.ruleset.rules:
            found = by_rule.get(rule.id)
            if not found:
                continue
            scores = [m.score for m in found if m.score is not None]
            hits.append(
                self._hit(
                    rule,
                    visibility,
                    count=str(len(found)),
                    where=_where(m.page for m in found),
                    score=f"{max(scores):.2f}" if scores else "",
                )
            )
        return hits

    # -- whose data ----------------------------------------------------------------------

    def _cues(self, extraction: Extraction | None) -> dict[SegmentKey, list[tuple[int, int]]]:
        cues: dict[SegmentKey, list[tuple[int, int]]] = defaultdict(list)
        if extraction is None or not self.ruleset.third_person_cues:
            return cues
        for segment in extraction.segments:
            key = (segment.page, segment.source, segment.origin)
            for pattern in self.ruleset.third_person_cues:
                cues[key].extend(m.span() for m in pattern.finditer(segment.text))
        return cues

    def _attribute(
        self, findings: Sequence[Finding], ctx: ScanContext, extraction: Extraction | None = None
    ) -> list[Attributed]:
        limits = self.ruleset.thresholds
        identifying = self.ruleset.identifying | self._sensitive_types
        items = [f for f in findings if f.entity_type in identifying]
        strong_person = any(
            f.entity_type == "PERSON" and len(name_tokens(f.text)) >= limits.min_person_tokens for f in items
        )
        matcher = OwnershipMatcher(
            ctx.uploader,
            limits.name_similarity,
            limits.min_person_tokens,
            limits.attribution_window_chars,
            limits.cue_window_chars,
        )
        out: list[Attributed] = []
        for item in matcher.attribute(items, self._cues(extraction) if items else None):
            weak = (
                item.finding.entity_type == "PERSON" and len(name_tokens(item.finding.text)) < limits.min_person_tokens
            )
            # One capitalised word ("Lorem", "Paris") is too weak to call a file personal by
            # itself; it counts when it is the uploader's or sits beside someone's data.
            if weak and item.owner == "unknown" and not strong_person:
                continue
            out.append(item)
        return out

    def _sensitive_hits(self, attributed: Sequence[Attributed], visibility: Visibility) -> list[RuleHit]:
        hits: list[RuleHit] = []
        for rule in self.ruleset.of_type(SensitiveRule):
            kinds = {
                a.finding.entity_type
                for a in attributed
                if a.finding.entity_type in rule.entities and a.owner in rule.owner
            }
            if kinds:
                hits.append(self._hit(rule, visibility, kinds=self._kinds(kinds)))
        return hits

    def _layout_hits(
        self,
        findings: Sequence[Finding],
        attributed: Sequence[Attributed],
        extraction: Extraction | None,
        visibility: Visibility,
    ) -> list[RuleHit]:
        rules: list[LayoutRule] = self.ruleset.of_type(LayoutRule)
        if extraction is None or not rules:
            return []
        texts: dict[int, list[str]] = defaultdict(list)
        for segment in extraction.segments:
            texts[segment.page].append(segment.text)
        owners: dict[int, set[Owner]] = defaultdict(set)
        for a in attributed:
            owners[a.finding.page].add(a.owner)
        types_on_page: dict[int, set[str]] = defaultdict(set)
        for f in findings:
            types_on_page[f.page].add(f.entity_type)
        hits: list[RuleHit] = []
        for rule in rules:
            pages: list[int] = []
            for page, parts in texts.items():
                if not types_on_page[page].intersection(rule.requires_entities):
                    continue
                text = "\n".join(parts)
                anchors = self.ruleset.anchors.get(rule.id, ())
                if anchors and not any(p.search(text) for p in anchors):
                    continue
                labels = sum(1 for p in self.ruleset.patterns[rule.id] if p.search(text))
                if labels < rule.min_labels:
                    continue
                seen = owners[page]
                owner: Owner = "third_party" if "third_party" in seen else "own" if seen == {"own"} else "unknown"
                if owner in rule.owner:
                    pages.append(page)
            if pages:
                hits.append(self._hit(rule, visibility, count=str(len(pages)), where=_where(pages)))
        return hits

    def _exposure_hits(self, attributed: Sequence[Attributed], visibility: Visibility) -> list[RuleHit]:
        kinds: dict[Owner, set[str]] = {owner: set() for owner in _OWNERS}
        for a in attributed:
            kinds[a.owner].add(a.finding.entity_type)
        applicable = [o for o in _OWNERS if kinds[o]]
        if kinds["own"] and (kinds["third_party"] or kinds["unknown"]):
            applicable.remove("own")  # own_data only when every identifying finding is the uploader's
        rules: list[ExposureRule] = self.ruleset.of_type(ExposureRule)
        hits: list[RuleHit] = []
        for owner in applicable:
            present = kinds[owner]
            matching = [
                r
                for r in rules
                if r.owner == owner
                and len(present) >= r.min_kinds
                and all(present.intersection(group) for group in r.requires)
            ]
            if matching:
                best = max(matching, key=lambda r: SEVERITY_ORDER[r.severity.at(visibility)])
                hits.append(self._hit(best, visibility, kinds=self._kinds(present)))
        return hits
