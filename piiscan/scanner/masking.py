"""Masked forms of detected values: enough for a reviewer to recognise the kind, not the person.

The masked form is what reports show and what the store keeps, so it must not
identify anyone on its own: at most the last four digits of a number (as card
receipts do) and the first letter of a name.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")
_KEEP_LAST4 = frozenset({"CREDIT_CARD", "IBAN_CODE", "US_BANK_NUMBER", "PHONE_NUMBER"})


def mask(entity_type: str, value: str) -> str:
    value = " ".join(value.split())
    if not value:
        return ""
    if entity_type == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.rpartition("@")
        tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
        return f"{local[:1]}***@***.{tld}" if tld else f"{local[:1]}***@***"
    if entity_type in _KEEP_LAST4:
        digits = _DIGITS.findall(value)
        keep = "".join(digits[-4:]) if len(digits) >= 8 else ""
        prefix = value[:2] if entity_type == "IBAN_CODE" else ""
        return f"{prefix}****{keep}"
    if entity_type in ("MRZ", "GPS_COORDINATES", "STREET_ADDRESS", "US_SSN", "IP_ADDRESS"):
        return f"[{entity_type}]"
    if _DIGITS.search(value):
        return "*" * min(len(value), 8)
    return " ".join(f"{word[:1]}***" for word in value.split()[:4])
