"""Load rule packs from YAML, validate them, and layer them into one :class:`RuleSet`.

The built-in packs (``piiscan/rules/packs/*.yaml``) load first, then the operator's packs
from ``rule_pack_dir``, each folder in file-name order. A pack that does not validate is
refused as a whole with a :class:`RulePackError` naming the file, the line and the reason:
a scanner that silently ran without a rule would be worse than one that does not start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from piiscan.rules.schema import (
    MACRO_RE,
    THRESHOLD_NAMES,
    ClassifierRule,
    ExposureRule,
    HashRule,
    LayoutRule,
    Pack,
    PhraseRule,
    Rule,
    SensitiveRule,
    Suppressor,
)

BUILTIN_DIR = Path(__file__).resolve().parent / "packs"
PACK_SUFFIXES = (".yaml", ".yml")

AnyRule = SensitiveRule | LayoutRule | ExposureRule | PhraseRule | ClassifierRule | HashRule
_RULE: TypeAdapter[AnyRule] = TypeAdapter(Rule)
Loc = Sequence[str | int]


class RulePackError(ValueError):
    """A rule pack that cannot be used: where it is wrong and why."""

    def __init__(self, path: str | Path, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class Thresholds:
    name_similarity: float
    min_person_tokens: int
    attribution_window_chars: int
    abuse_min_probability: float
    pdq_max_distance: int
    pdq_min_quality: int
    cue_window_chars: int


@dataclass(frozen=True, slots=True)
class CompiledSuppressor:
    id: str
    pattern: re.Pattern[str]
    reason: str
    applies_to: frozenset[str]
    inside_quotes: bool

    def applies(self, category: str) -> bool:
        return not self.applies_to or category in self.applies_to


@dataclass(frozen=True)
class RuleSet:
    """The packs merged: what the engine evaluates. ``version`` goes into every report."""

    version: str
    thresholds: Thresholds
    identifying: frozenset[str]
    labels: Mapping[str, str]
    rules: tuple[AnyRule, ...]
    """Enabled rules, in definition order."""
    patterns: Mapping[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    """Compiled patterns of phrase and layout rules, macros expanded, by rule id."""
    anchors: Mapping[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    """Compiled anchors of layout rules, by rule id."""
    suppressors: tuple[CompiledSuppressor, ...] = ()
    target: re.Pattern[str] | None = None
    """The ``{TARGET}`` macro: words that show a sentence is aimed at a person or group."""
    third_person_cues: tuple[re.Pattern[str], ...] = ()

    def of_type(self, kind: type[AnyRule]) -> list[Any]:
        return [r for r in self.rules if isinstance(r, kind)]

    def label(self, entity_type: str) -> str:
        return self.labels.get(entity_type, entity_type.replace("_", " ").lower())


@dataclass(frozen=True, slots=True)
class LoadedPack:
    path: Path
    pack: Pack
    root: yaml.Node

    def error(self, loc: Loc, reason: str) -> RulePackError:
        return _located_error(self.path, self.root, loc, reason)


def _located_error(path: Path, root: yaml.Node, loc: Loc, reason: str) -> RulePackError:
    line, shown = _locate(root, loc)
    return RulePackError(path, line, f"{shown}: {reason}" if shown else reason)


def _locate(root: yaml.Node, loc: Loc) -> tuple[int, str]:
    """The 1-based line of the deepest YAML node ``loc`` reaches, and ``loc`` as a path.

    Pydantic puts the discriminator tag of a union into ``loc`` (``rules.3.phrase.id``);
    elements that name no node are skipped, except a last one (a missing field), which is
    shown but located at its parent.
    """
    node = root
    shown = ""
    for i, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, yaml.SequenceNode) and 0 <= part < len(node.value):
            node = node.value[part]
            shown += f"[{part}]"
            continue
        if isinstance(node, yaml.MappingNode):
            value = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if value is not None:
                node = value
                shown += f".{part}" if shown else str(part)
                continue
        if i == len(loc) - 1 and isinstance(part, str):
            shown += f".{part}" if shown else part
    return node.start_mark.line + 1, shown


def _duplicate_keys(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = getattr(key, "value", None)
            if isinstance(name, str):
                if name in seen:
                    yield key
                seen.add(name)
            yield from _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _duplicate_keys(item)


def _message(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def load_pack(path: str | Path) -> LoadedPack:
    """Parse and validate one pack file; raise :class:`RulePackError` with the line at fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(path, None, f"cannot be read ({type(exc).__name__}: {exc})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RulePackError(path, line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise RulePackError(path, None, f"not valid YAML: {exc}") from None
    if root is None or not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else None
        raise RulePackError(path, line, "a rule pack must be a YAML mapping (pack:, version:, rules: ...)")
    for key in _duplicate_keys(root):
        raise RulePackError(path, key.start_mark.line + 1, f"duplicate key {key.value!r}")
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        raise _located_error(path, root, first["loc"], _message(first) + suffix) from None
    loaded = LoadedPack(path, pack, root)
    seen: dict[str, int] = {}
    for index, rule in enumerate(pack.rules):
        if rule.id in seen:
            raise loaded.error(("rules", index, "id"), f"rule id {rule.id!r} is defined twice in this pack")
        seen[rule.id] = index
    return loaded


def pack_files(directory: str | Path) -> list[Path]:
    folder = Path(directory)
    if not folder.is_dir():
        raise RulePackError(folder, None, "the rule pack folder does not exist or is not a folder")
    return sorted(p for p in folder.iterdir() if p.suffix in PACK_SUFFIXES and not p.name.startswith("."))


_MACRO_DEPTH = 3
_LITERAL = re.compile(r"[a-z0-9 '-]+")


def _trie(words: list[str]) -> str:
    """Literal words as a prefix tree (``c(?:hristians|atholics)``): Python's ``re`` tries
    alternatives one by one at every position, a tree fails on the first letter."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        optional = "" in node
        if not branches:
            return ""
        if len(branches) == 1 and not optional:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if optional else "")

    return emit(tree)


def alternation(words: list[str]) -> str:
    """One group matching any of ``words``; regex entries keep their order after the literals.

    Note the tree matches greedily by prefix: an entry that is a prefix of another
    (``gay`` and ``gay people``) matches the longer one where it can, as before."""
    literal = sorted({w for w in words if _LITERAL.fullmatch(w)})
    rest = sorted((w for w in words if not _LITERAL.fullmatch(w)), key=len, reverse=True)
    parts = ([_trie(literal)] if literal else []) + rest
    return "(?:" + "|".join(parts) + ")"


def _expand(
    pattern: str, macros: Mapping[str, list[str]], loaded: LoadedPack, loc: Loc, flags: int = re.MULTILINE
) -> re.Pattern[str]:
    """Compile ``pattern`` with each ``{MACRO}`` replaced by its words as an alternation
    (longest first); macros may use other macros, up to three levels deep."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in macros:
            known = ", ".join(sorted(macros)) or "none"
            raise loaded.error(loc, f"unknown macro {{{name}}} (defined: {known})")
        return alternation(macros[name])

    expanded = pattern
    for _ in range(_MACRO_DEPTH + 1):
        if not MACRO_RE.search(expanded):
            break
        expanded = MACRO_RE.sub(sub, expanded)
    else:
        raise loaded.error(loc, f"macros nest more than {_MACRO_DEPTH} levels deep (a macro that uses itself?)")
    try:
        return re.compile(expanded, flags)
    except re.error as exc:  # a macro made it invalid
        raise loaded.error(loc, f"not a valid regular expression once macros are expanded: {exc}") from None


def merge(packs: Sequence[LoadedPack]) -> RuleSet:
    """Layer packs in order: later thresholds, labels, macros and same-id rules win."""
    if not packs:
        raise RulePackError(BUILTIN_DIR, None, "no rule pack found")
    thresholds: dict[str, Any] = {}
    identifying: set[str] = set()
    labels: dict[str, str] = {}
    macros: dict[str, list[str]] = {}
    rules: dict[str, AnyRule] = {}
    rule_origin: dict[str, tuple[LoadedPack, Loc]] = {}
    suppressors: dict[str, tuple[Suppressor, LoadedPack, Loc]] = {}
    cues: list[re.Pattern[str]] = []
    names: dict[str, Path] = {}
    for loaded in packs:
        pack = loaded.pack
        if pack.pack in names:
            raise loaded.error(("pack",), f"pack name {pack.pack!r} is already used by {names[pack.pack]}")
        names[pack.pack] = loaded.path
        thresholds.update({k: v for k, v in pack.thresholds.model_dump().items() if v is not None})
        identifying.update(pack.entities.identifying)
        labels.update(pack.entities.labels)
        macros.update(pack.macros)
        for index, cue in enumerate(pack.third_person_cues):
            cues.append(_expand(cue, macros, loaded, ("third_person_cues", index), re.IGNORECASE | re.MULTILINE))
        for index, suppressor in enumerate(pack.suppressors):
            suppressors[suppressor.id] = (suppressor, loaded, ("suppressors", index, "pattern"))
        for index, rule in enumerate(pack.rules):
            rules[rule.id] = rule
            rule_origin[rule.id] = (loaded, ("rules", index))
        for rule_id, fields in pack.overrides.items():
            if rule_id not in rules:
                raise loaded.error(("overrides", rule_id), f"no earlier pack defines a rule {rule_id!r}")
            current = rules[rule_id]
            if "id" in fields or ("type" in fields and fields["type"] != current.type):
                raise loaded.error(
                    ("overrides", rule_id), "an override cannot change a rule's id or type; define a new rule instead"
                )
            try:
                rules[rule_id] = _RULE.validate_python({**current.model_dump(), **fields})
            except ValidationError as exc:
                first = exc.errors()[0]
                raise loaded.error(("overrides", rule_id, *first["loc"]), _message(first)) from None
            if "patterns" in fields or "labels" in fields:
                rule_origin[rule_id] = (loaded, ("overrides", rule_id))
        for index, rule_id in enumerate(pack.disable):
            if rule_id in rules:
                rules[rule_id] = rules[rule_id].model_copy(update={"enabled": False})
            elif rule_id in suppressors:
                del suppressors[rule_id]
            else:
                raise loaded.error(("disable", index), f"no earlier pack defines a rule or suppressor {rule_id!r}")
    missing = [name for name in THRESHOLD_NAMES if name not in thresholds]
    if missing:
        raise packs[0].error(("thresholds",), f"the base pack must set every threshold; missing: {', '.join(missing)}")
    enabled = tuple(r for r in rules.values() if r.enabled)
    patterns: dict[str, tuple[re.Pattern[str], ...]] = {}
    anchors: dict[str, tuple[re.Pattern[str], ...]] = {}
    for rule in enabled:
        loaded, loc = rule_origin[rule.id]
        if isinstance(rule, PhraseRule):
            patterns[rule.id] = tuple(
                _expand(p, macros, loaded, (*loc, "patterns", i)) for i, p in enumerate(rule.patterns)
            )
        elif isinstance(rule, LayoutRule):
            raw = re.IGNORECASE | re.MULTILINE  # layout labels run on the extracted text as it is
            patterns[rule.id] = tuple(
                _expand(p, macros, loaded, (*loc, "labels", i), raw) for i, p in enumerate(rule.labels)
            )
            anchors[rule.id] = tuple(
                _expand(p, macros, loaded, (*loc, "anchors", i), raw) for i, p in enumerate(rule.anchors)
            )
    compiled_suppressors = tuple(
        CompiledSuppressor(
            s.id, _expand(s.pattern, macros, loaded, loc), s.reason, frozenset(s.applies_to), s.inside_quotes
        )
        for s, loaded, loc in suppressors.values()
    )
    target = None
    if any(isinstance(r, ClassifierRule) and r.require_target for r in enabled):
        loaded, loc = next(rule_origin[r.id] for r in enabled if isinstance(r, ClassifierRule))
        if "TARGET" not in macros:
            raise loaded.error(loc, "a classifier rule with require_target needs a TARGET macro")
        target = _expand(r"\b{TARGET}\b", macros, loaded, loc)
    version = "+".join(f"{p.pack.pack}@{p.pack.version}" for p in packs)
    return RuleSet(
        version=version,
        thresholds=Thresholds(**thresholds),
        identifying=frozenset(identifying),
        labels=labels,
        rules=enabled,
        patterns=patterns,
        anchors=anchors,
        suppressors=compiled_suppressors,
        target=target,
        third_person_cues=tuple(cues),
    )


def load_ruleset(pack_dir: str | Path | None = None, builtin_dir: str | Path = BUILTIN_DIR) -> RuleSet:
    """The built-in packs, then the operator's packs from ``pack_dir`` when given."""
    files = pack_files(builtin_dir)
    if pack_dir is not None:
        files += pack_files(pack_dir)
    return merge([load_pack(path) for path in files])
