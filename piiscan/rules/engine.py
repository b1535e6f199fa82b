"""Turn findings into a verdict a platform can act on.

This is the built-in default pack; operator packs in YAML extend it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from piiscan.scanner.model import SEVERITY_ORDER, Finding, RuleHit, Severity, Verdict

DEFAULT_PACK_VERSION = "default-0.1"

SENSITIVE_ENTITIES = frozenset(
    {"MRZ", "CREDIT_CARD", "US_SSN", "US_PASSPORT", "US_DRIVER_LICENSE", "US_ITIN", "UK_NHS", "US_BANK_NUMBER"}
)
IDENTIFYING_ENTITIES = frozenset(
    {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "STREET_ADDRESS",
        "GPS_COORDINATES",
        "IBAN_CODE",
        "IP_ADDRESS",
        "MEDICAL_LICENSE",
        "CRYPTO",
    }
)
"""Alone, DATE_TIME, LOCATION, URL or NRP do not point at a person: they only add weight."""


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    severity: Severity
    rules: list[RuleHit]
    rule_pack_version: str


class RuleEngine:
    """Evaluates findings; the seam where rule packs plug in."""

    version = DEFAULT_PACK_VERSION

    def evaluate(self, findings: Sequence[Finding]) -> Decision:
        hits: list[RuleHit] = []
        types = {f.entity_type for f in findings}
        sensitive = sorted(types & SENSITIVE_ENTITIES)
        identifying_types = types & IDENTIFYING_ENTITIES
        if not any(f.entity_type == "PERSON" and len(f.text.split()) >= 2 for f in findings):
            # One capitalised word ("Lorem", "Paris") is too weak to call a file personal by itself.
            identifying_types.discard("PERSON")
        identifying = sorted(identifying_types)
        if sensitive:
            hits.append(
                RuleHit(
                    id="pii.sensitive-identifier",
                    verdict="sensitive_document",
                    severity="high",
                    reason=f"Contains identity or payment data ({', '.join(sensitive)}).",
                )
            )
        if identifying:
            severity: Severity = "medium" if len(identifying) >= 2 else "low"
            hits.append(
                RuleHit(
                    id="pii.identifying",
                    verdict="personal_data",
                    severity=severity,
                    reason=f"Contains data that identifies a person ({', '.join(identifying)}).",
                )
            )
        if not hits:
            return Decision("clean", "none", [], self.version)
        top = max(hits, key=lambda h: SEVERITY_ORDER[h.severity])
        return Decision(top.verdict, top.severity, hits, self.version)
