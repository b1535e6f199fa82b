"""The rule-pack schema: what a pack file may say, checked when it is loaded.

A pack is one YAML file::

    pack: ops                 # name: lower case letters, digits, '-', '_'
    version: "3"              # recorded in every report: default@1.2.0+ops@3
    description: ...
    thresholds: {pdq_max_distance: 24}   # only the keys given are overridden
    entities: {identifying: [...], labels: {TYPE: "what a reviewer calls it"}}
    macros: {GROUP: [...]}    # word lists usable in patterns as {GROUP}
    suppressors: [...]        # contexts that neutralise abuse matches (quoted fiction, news)
    rules: [...]              # new rules; a rule with an existing id replaces it
    overrides: {rule-id: {field: value}}   # change some fields of an earlier pack's rule
    disable: [rule-id, ...]

Every rule has an ``id``, a ``type`` (which evaluator runs it and so which verdict it
gives), a ``severity`` (one level, or one per visibility) and a ``reason`` for reviewers,
which may use the placeholders its type documents. Unknown keys are errors, so a typo
never silently disables a rule.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from piiscan.rules.context import VISIBILITIES, Visibility
from piiscan.scanner.model import Severity, Verdict

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
PackName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)]
PackVersion = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.-]*$", max_length=40)]
EntityType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=60)]
MacroName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=40)]
Category = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$", max_length=40)]
OwnerSelector = Literal["own", "third_party", "unknown"]

OWNER_VERDICTS: dict[str, Verdict] = {"own": "own_data", "third_party": "third_party_data", "unknown": "personal_data"}
MACRO_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


def _version_as_text(value: Any) -> Any:
    """YAML reads ``version: 3`` or ``1.2`` as numbers; a version is text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def check_regex(pattern: str) -> str:
    """Compile with every ``{MACRO}`` stood in for, so syntax errors surface at load time."""
    try:
        re.compile(MACRO_RE.sub("(?:x)", pattern))
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


_NOT_LETTERS = re.compile(r"\\.|\{[A-Z][A-Z0-9_]*\}|\(\?P<\w+>|\(\?P=\w+\)")


def check_lower_regex(pattern: str) -> str:
    """Phrase patterns run on normalised, lower-case text (case-sensitively: faster), so an
    upper-case letter could never match; refuse it rather than silently never firing."""
    check_regex(pattern)
    upper = [ch for ch in _NOT_LETTERS.sub("", pattern) if ch.isupper()]
    if upper:
        raise ValueError(f"write abuse patterns in lower case, they run on lower-cased text (found {upper[0]!r})")
    return pattern


LowerRegex = Annotated[str, BeforeValidator(check_lower_regex)]


class SeverityByVisibility(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    public: Severity
    unlisted: Severity
    private: Severity

    def at(self, visibility: Visibility) -> Severity:
        level: Severity = getattr(self, visibility)
        return level


def _expand_severity(value: Any) -> Any:
    if isinstance(value, str):
        return dict.fromkeys(VISIBILITIES, value)
    return value


SeveritySpec = Annotated[SeverityByVisibility, BeforeValidator(_expand_severity)]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    placeholders: ClassVar[frozenset[str]] = frozenset({"visibility"})

    id: RuleId
    reason: Annotated[str, StringConstraints(min_length=10, max_length=500)]
    severity: SeveritySpec
    enabled: bool = True

    @field_validator("reason")
    @classmethod
    def _known_placeholders(cls, reason: str) -> str:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(reason) if name is not None}
        except ValueError as exc:
            raise ValueError(f"bad placeholder syntax ({exc}); write a literal brace as {{{{ or }}}}") from None
        unknown = names - cls.placeholders
        if unknown:
            allowed = ", ".join("{" + p + "}" for p in sorted(cls.placeholders))
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; this rule type allows {allowed}")
        return reason

    def verdict(self) -> Verdict:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError


class SensitiveRule(_Rule):
    """Identity documents, payment cards and government numbers found as entities.

    Fires when a finding of one of ``entities`` belongs to an owner in ``owner``.
    Placeholders: ``{kinds}``, ``{visibility}``.
    """

    placeholders: ClassVar[frozenset[str]] = frozenset({"kinds", "visibility"})
    type: Literal["sensitive"]
    entities: Annotated[list[EntityType], Field(min_length=1)]
    owner: Annotated[list[OwnerSelector], Field(min_length=1)] = ["own", "third_party", "unknown"]

    def verdict(self) -> Verdict:
        return "sensitive_document"


class LayoutRule(_Rule):
    """An identity document recognised by its printed field labels, with or without an MRZ.

    Fires when one of ``anchors`` (the document's title: "passport", "identity card") and
    at least ``min_labels`` of the ``labels`` patterns occur in the text of one page that
    also holds a finding of ``requires_entities`` (any of them); the page's owner is that of
    its findings. Placeholders: ``{count}``, ``{where}``, ``{visibility}``.
    """

    placeholders: ClassVar[frozenset[str]] = frozenset({"count", "where", "visibility"})
    type: Literal["document_layout"]
    anchors: list[Annotated[str, BeforeValidator(check_regex)]] = []
    labels: Annotated[list[Annotated[str, BeforeValidator(check_regex)]], Field(min_length=2)]
    min_labels: Annotated[int, Field(ge=2)] = 4
    requires_entities: list[EntityType] = ["PERSON"]
    owner: Annotated[list[OwnerSelector], Field(min_length=1)] = ["own", "third_party", "unknown"]

    def verdict(self) -> Verdict:
        return "sensitive_document"


class ExposureRule(_Rule):
    """Personal data of one owner (the uploader, a third person, or unknown).

    Fires when the kinds of that owner's findings include one of every group in
    ``requires`` and at least ``min_kinds`` kinds in all. Among the rules of one owner that
    match, only the most severe fires (ties: the first defined). ``own`` rules fire only
    when every identifying finding is the uploader's. Placeholders: ``{kinds}``,
    ``{visibility}``.
    """

    placeholders: ClassVar[frozenset[str]] = frozenset({"kinds", "visibility"})
    type: Literal["exposure"]
    owner: OwnerSelector
    requires: list[Annotated[list[EntityType], Field(min_length=1)]] = []
    min_kinds: Annotated[int, Field(ge=1)] = 1

    def verdict(self) -> Verdict:
        return OWNER_VERDICTS[self.owner]


class PhraseRule(_Rule):
    """Curated phrases of threats, harassment and hate, as regular expressions.

    Patterns run on normalised text (lower case, straight quotes, contractions expanded,
    ``u``/``ur``/``gonna`` spelled out, one sentence a line, single spaces) and may use
    ``{MACRO}`` word lists. ``requires_entities``: fire only when the file also holds one of
    these findings. Placeholders: ``{count}``, ``{where}``, ``{visibility}``.
    """

    placeholders: ClassVar[frozenset[str]] = frozenset({"count", "where", "visibility"})
    type: Literal["phrase"]
    category: Category
    patterns: Annotated[list[LowerRegex], Field(min_length=1)]
    requires_entities: list[EntityType] = []

    def verdict(self) -> Verdict:
        return "abusive"


class ClassifierRule(_Rule):
    """The offensive-language model, on sentences aimed at someone.

    Fires when a sentence scores at least the ``abuse_min_probability`` threshold and, with
    ``require_target``, addresses a person or a group (the pack's ``{TARGET}`` macro).
    Placeholders: ``{count}``, ``{where}``, ``{score}``, ``{visibility}``.
    """

    placeholders: ClassVar[frozenset[str]] = frozenset({"count", "where", "score", "visibility"})
    type: Literal["classifier"]
    category: Category = "offensive"
    require_target: bool = True

    def verdict(self) -> Verdict:
        return "abusive"


class HashRule(_Rule):
    """Known illegal files from the operator's hash lists: ``sha256`` (the exact bytes) or
    ``pdq`` (each page image, within ``pdq_max_distance`` bits).
    Placeholders: ``{list}``, ``{label}``, ``{distance}``, ``{where}``, ``{visibility}``."""

    placeholders: ClassVar[frozenset[str]] = frozenset({"list", "label", "distance", "where", "visibility"})
    type: Literal["hash_list"]
    match: Literal["sha256", "pdq"]

    def verdict(self) -> Verdict:
        return "illegal"


Rule = Annotated[
    SensitiveRule | LayoutRule | ExposureRule | PhraseRule | ClassifierRule | HashRule,
    Field(discriminator="type"),
]


class Suppressor(BaseModel):
    """A context in which abuse matches do not count (quoted fiction, news reports, games).

    ``pattern`` is searched in the matched sentence; with ``inside_quotes`` the match must
    also sit inside quotation marks and the pattern is searched outside them (a speech verb
    attributing the quote). ``applies_to`` lists categories; empty means every category.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    pattern: LowerRegex
    reason: Annotated[str, StringConstraints(min_length=10, max_length=300)]
    applies_to: list[Category] = []
    inside_quotes: bool = False


class Thresholds(BaseModel):
    """Numbers operators tune. In an overlay pack, only the keys given change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name_similarity: Annotated[float, Field(ge=0.5, le=1.0)] | None = None
    """Per-token similarity (1 - Levenshtein distance / length) from which two name tokens
    (of four letters or more) are the same name."""
    min_person_tokens: Annotated[int, Field(ge=1, le=5)] | None = None
    """A name with fewer tokens is too weak to be a third person by itself."""
    attribution_window_chars: Annotated[int, Field(ge=0, le=10_000)] | None = None
    """How far (in characters of the same text) an address or number looks for its owner's name."""
    abuse_min_probability: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    """Offensive-language model score from which a sentence aimed at someone counts."""
    pdq_max_distance: Annotated[int, Field(ge=0, le=128)] | None = None
    """Hamming distance (of 256 bits) up to which a page image matches a listed PDQ hash."""
    pdq_min_quality: Annotated[int, Field(ge=0, le=100)] | None = None
    """PDQ quality below which an image is too flat to compare perceptually."""
    cue_window_chars: Annotated[int, Field(ge=0, le=1000)] | None = None
    """How close (in characters) a finding must be to third-person wording to be a third person's."""


class Entities(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    identifying: list[EntityType] = []
    """Entity types that point at a person (added to the earlier packs' list)."""
    labels: dict[EntityType, Annotated[str, StringConstraints(min_length=2, max_length=60)]] = {}
    """What a reviewer calls each type in reasons ("home address"); never a value."""


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    pack: PackName
    version: Annotated[PackVersion, BeforeValidator(_version_as_text)]
    description: str = ""
    thresholds: Thresholds = Thresholds()
    entities: Entities = Entities()
    macros: dict[
        MacroName, Annotated[list[Annotated[LowerRegex, StringConstraints(min_length=1)]], Field(min_length=1)]
    ] = {}
    suppressors: list[Suppressor] = []
    third_person_cues: list[Annotated[str, BeforeValidator(check_regex)]] = []
    """Wording that speaks of someone else ("lives at", "her number is"), run case-insensitively
    on the extracted text; added to the earlier packs' cues."""
    rules: list[Rule] = []
    overrides: dict[RuleId, dict[str, Any]] = {}
    disable: list[RuleId] = []

    @field_validator("macros")
    @classmethod
    def _macros_are_regex(cls, macros: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, words in macros.items():
            for word in words:
                try:
                    re.compile(word)
                except re.error as exc:
                    raise ValueError(f"macro {name}: {word!r} is not a valid regular expression: {exc}") from None
        return macros


THRESHOLD_NAMES: tuple[str, ...] = tuple(Thresholds.model_fields)
