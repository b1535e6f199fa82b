"""Keyed hashes of personal values: what the store keeps so it can find a value without holding it.

A value is normalised per category before hashing, so the spellings a person would type and the
spellings OCR reads meet on one hash:

* ``email``: case-folded, spaces dropped, ``+tag`` dropped, Gmail dots ignored (as ownership does);
* ``phone``: the last ten digits (the country code is optional in how people write numbers);
* ``name``: accent-free, case-folded tokens without honorifics, in sorted order ("Jensen, Clara");
* ``number`` (cards, IBANs, passports, tax and ID numbers, an MRZ's document number): letters and
  digits only, upper case;
* ``other`` (addresses, GPS, dates): letters and digits only, case-folded.

Hashes are HMAC-SHA256 under a key chosen by id (``PIISCAN_EVIDENCE_KEYS``); new evidence uses the
current key, lookups try every configured key, so a rotated-out key still finds old evidence until
its id is removed from the settings (then that evidence can no longer be linked to anyone).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from piiscan.rules.ownership import name_tokens, normalise_email
from piiscan.scanner.detect.recognizers.mrz import parse_mrz

Category = Literal["email", "phone", "name", "number", "other"]
CATEGORIES: tuple[Category, ...] = ("email", "phone", "name", "number", "other")

_BY_TYPE: dict[str, Category] = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "PERSON": "name"}
_OTHER_TYPES = frozenset(
    {"STREET_ADDRESS", "GPS_COORDINATES", "DATE_TIME", "LOCATION", "URL", "NRP", "WORK_OF_ART", "FACE"}
)
_PHONE_DIGITS = 10


def category_of(entity_type: str) -> Category:
    """The normalisation a finding's value gets: identifiers that are numbers share ``number``."""
    if entity_type in _BY_TYPE:
        return _BY_TYPE[entity_type]
    return "other" if entity_type in _OTHER_TYPES else "number"


def normalise(category: Category, value: str) -> str:
    """The canonical spelling of ``value`` (empty when nothing identifying is left)."""
    if category == "email":
        return normalise_email("".join(value.split())) if "@" in value else ""
    if category == "phone":
        digits = "".join(ch for ch in value if ch.isdigit())
        return digits[-_PHONE_DIGITS:] if len(digits) >= 7 else ""
    if category == "name":
        return " ".join(sorted(name_tokens(value)))
    if category == "number":
        return "".join(ch for ch in value if ch.isalnum()).upper()
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def finding_value(entity_type: str, text: str) -> tuple[Category, str]:
    """What a finding's hash is computed from: an MRZ is hashed as its document number."""
    if entity_type == "MRZ":
        mrz = parse_mrz(text)
        if mrz is not None and mrz.document_number:
            return "number", normalise("number", mrz.document_number)
    category = category_of(entity_type)
    return category, normalise(category, text)


class EvidenceKeys:
    """The configured keys (id → secret) and the current one; computes and matches keyed hashes."""

    def __init__(self, keys: Mapping[str, str], current: str) -> None:
        if current not in keys:
            raise ValueError(f"the current evidence key id {current!r} is not among the configured keys")
        self.keys = dict(keys)
        self.current = current

    @classmethod
    def from_settings(cls, settings: Any) -> EvidenceKeys:
        keys, current = settings.evidence_key_map()
        return cls(keys, current)

    def _digest(self, key_id: str, category: str, normalised: str) -> str:
        secret = self.keys[key_id].encode()
        return hmac.new(secret, f"piiscan-evidence:{category}:{normalised}".encode(), hashlib.sha256).hexdigest()

    def hash(self, category: Category, value: str, key_id: str | None = None) -> tuple[str, str] | None:
        """``(key id, hex digest)`` of ``value`` under the current key (or ``key_id``); None when empty."""
        normalised = normalise(category, value)
        if not normalised:
            return None
        kid = key_id or self.current
        return kid, self._digest(kid, category, normalised)

    def hash_finding(self, entity_type: str, text: str, key_id: str | None = None) -> tuple[str, str] | None:
        category, normalised = finding_value(entity_type, text)
        if not normalised:
            return None
        kid = key_id or self.current
        return kid, self._digest(kid, category, normalised)

    def candidates(self, category: Category, value: str) -> list[tuple[str, str]]:
        """The hash of ``value`` under every configured key: how lookups find evidence of any age."""
        normalised = normalise(category, value)
        if not normalised:
            return []
        return [(kid, self._digest(kid, category, normalised)) for kid in self.keys]

    def identity(
        self,
        name: str | None,
        emails: Iterable[str],
        phones: Iterable[str],
        own_findings: Iterable[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """An uploader identity as keyed hashes (current key): what ownership matching needs after
        the raw identity is erased. ``own_findings`` are (entity type, value) pairs the matcher
        attributed to the uploader directly, so a rescan of the same bytes gives the same owners."""
        hashes: set[str] = set()
        kinds: set[str] = set()
        for category, values in (("email", list(emails)), ("phone", list(phones)), ("name", [name] if name else [])):
            for value in values:
                found = self.hash(category, value)  # type: ignore[arg-type]
                if found is not None:
                    hashes.add(found[1])
                    kinds.add(category)
        if name:
            for token in name_tokens(name):
                hashes.add(self._digest(self.current, "name-token", token))
                hashes.add(self._digest(self.current, "name-initial", token[:1]))
        for entity_type, text in own_findings:
            found = self.hash_finding(entity_type, text)
            if found is not None:
                hashes.add(found[1])
        return {"key_id": self.current, "kinds": sorted(kinds), "hashes": sorted(hashes)}

    def keyed_identity(self, stored: Mapping[str, Any] | None) -> KeyedIdentity | None:
        """The stored identity as a matcher; None without one or when its key was removed."""
        if not stored or stored.get("key_id") not in self.keys or not stored.get("kinds"):
            return None
        return KeyedIdentity(
            kinds=frozenset(stored["kinds"]),
            hashes=frozenset(stored.get("hashes", ())),
            keys=self,
            key_id=stored["key_id"],
        )


@dataclass(frozen=True, slots=True)
class KeyedIdentity:
    """An uploader known only by keyed hashes; :class:`piiscan.rules.ownership.OwnershipMatcher` asks it."""

    kinds: frozenset[str]
    hashes: frozenset[str] = field(default_factory=frozenset)
    keys: EvidenceKeys | None = field(default=None, compare=False, repr=False)
    key_id: str = ""

    def holds(self, entity_type: str, text: str) -> bool:
        """Is this finding's value one of the uploader's (an identity field or a finding matched before)?"""
        if self.keys is None:
            return False
        found = self.keys.hash_finding(entity_type, text, self.key_id)
        return found is not None and found[1] in self.hashes

    def holds_name(self, name: str) -> bool:
        """Every token of ``name`` is one of the uploader's name tokens (an initial matches its letter)."""
        if self.keys is None:
            return False
        tokens = name_tokens(name)
        if not tokens:
            return False
        full = 0
        for token in tokens:
            purpose = "name-initial" if len(token) == 1 else "name-token"
            if self.keys._digest(self.key_id, purpose, token) not in self.hashes:
                return False
            full += purpose == "name-token"
        return full > 0
