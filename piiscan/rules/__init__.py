"""Findings plus context in, one verdict out: rule packs, ownership, abuse and hash lists.

See :mod:`piiscan.rules.engine` for the precedence of verdicts and
:mod:`piiscan.rules.schema` for what a rule pack may say. Names are imported lazily, so
``piiscan.rules.context`` stays cheap for the CLI (the engine pulls in Presidio).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from piiscan.rules.context import ScanContext as ScanContext
    from piiscan.rules.context import Uploader as Uploader
    from piiscan.rules.context import Visibility as Visibility
    from piiscan.rules.engine import Decision as Decision
    from piiscan.rules.engine import RuleEngine as RuleEngine
    from piiscan.rules.hashlists import HashListError as HashListError
    from piiscan.rules.loader import RulePackError as RulePackError
    from piiscan.rules.loader import RuleSet as RuleSet
    from piiscan.rules.loader import load_ruleset as load_ruleset

_EXPORTS = {
    "ScanContext": "piiscan.rules.context",
    "Uploader": "piiscan.rules.context",
    "Visibility": "piiscan.rules.context",
    "Decision": "piiscan.rules.engine",
    "RuleEngine": "piiscan.rules.engine",
    "HashListError": "piiscan.rules.hashlists",
    "RulePackError": "piiscan.rules.loader",
    "RuleSet": "piiscan.rules.loader",
    "load_ruleset": "piiscan.rules.loader",
}

__all__ = [
    "Decision",
    "HashListError",
    "RuleEngine",
    "RulePackError",
    "RuleSet",
    "ScanContext",
    "Uploader",
    "Visibility",
    "load_ruleset",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
