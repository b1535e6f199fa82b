"""Whose data is it: match findings against the uploader's identity.

Each identifying finding gets an owner:

* ``own``: it matches the uploader. Names match fuzzily (case, accents and punctuation
  ignored, token order free, initials tolerated, OCR slips tolerated by a per-token
  Levenshtein similarity, a name that is a subset of the uploader's full name matches);
  e-mails after normalisation (lower case, ``+tag`` sub-addresses dropped for every
  domain, dots ignored for Gmail); phones by their last ten digits (at least seven must
  be compared). An e-mail whose local part spells the uploader's first and last name
  counts as theirs. An MRZ is decoded and its holder's name compared.
* ``third_party``: it can be compared and does not match: a full name (two tokens or
  more) that is not the uploader's; an e-mail or phone when the uploader's e-mails or
  phones are known and differ.
* Findings that cannot be compared by themselves (addresses, GPS, IBANs, card numbers,
  a phone when no phone is known, a one-word name) take the owner of the nearest
  compared finding in the same text (within ``window`` characters); failing that, the
  owner shared by every compared finding in the file; failing that, ``unknown``.

Third-person wording overrides a missing identity: a finding within ``cue_window``
characters of a pack's ``third_person_cues`` ("lives at", "her number is", "their IP")
that the uploader does not claim is a third person's, and nearby findings follow it. A
doxxing screenshot is then ``third_party_data`` even when the hook sent no identity.
Otherwise, with no uploader identity every finding is ``unknown``, which keeps the old
behaviour: ``personal_data`` when ownership cannot be told.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from piiscan.rules.context import IdentityKeys, Uploader
from piiscan.scanner.detect.recognizers.mrz import parse_mrz
from piiscan.scanner.model import Finding

Owner = Literal["own", "third_party", "unknown"]
SegmentKey = tuple[int, str, str | None]
"""(page, source, origin): the text a finding's offsets refer to."""

_TRANSLIT = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "œ": "oe", "\u0131": "i"})
_TOKEN_RE = re.compile(r"[^\W_]+")
_HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "dear", "herr", "frau", "mme", "mlle", "m"}
)
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_PHONE_DIGITS = 10
_PHONE_MIN_DIGITS = 7


def name_tokens(name: str) -> list[str]:
    """Case-folded, accent-free tokens without honorifics: ``"Dr. Clára Jensen"`` → ``["clara", "jensen"]``."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_TRANSLIT))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [t for t in _TOKEN_RE.findall(plain) if t not in _HONORIFICS]


def similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / longer length: one slip in "jensen" scores 0.83, "hansen" 0.67."""
    if a == b:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))


def _token_matches(token: str, known: Sequence[str], threshold: float) -> Literal["full", "initial", "none"]:
    for candidate in known:
        if token == candidate:
            return "full"
        if len(token) == 1:
            if candidate.startswith(token):
                return "initial"
            continue
        if len(token) >= 4 and candidate.startswith(token):
            return "full"  # truncated, as in an MRZ that ran out of room
        if min(len(token), len(candidate)) >= 4 and similarity(token, candidate) >= threshold:
            return "full"
    return "none"


def name_matches(found: str, uploader_name: str, similarity: float) -> bool:
    """Does ``found`` name the uploader? Every token must match (one stray token is forgiven
    in names of three tokens or more, as OCR and NER add words), with at least one full token."""
    tokens, known = name_tokens(found), name_tokens(uploader_name)
    if not tokens or not known:
        return False
    results = [_token_matches(t, known, similarity) for t in tokens]
    full = results.count("full")
    misses = results.count("none")
    if full == 0:
        return False
    return misses == 0 or (len(tokens) >= 3 and misses == 1 and full >= 2)


def normalise_email(email: str) -> str:
    local, _, domain = email.strip().casefold().rpartition("@")
    if not local:
        return email.strip().casefold()
    local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def phones_match(a: str, b: str) -> bool:
    da, db = phone_digits(a), phone_digits(b)
    n = min(_PHONE_DIGITS, len(da), len(db))
    return n >= _PHONE_MIN_DIGITS and da[-n:] == db[-n:]


def _email_spells_name(email: str, uploader_name: str) -> bool:
    local = email.strip().casefold().partition("@")[0]
    tokens = [t for t in name_tokens(uploader_name) if len(t) >= 2]
    if len(tokens) < 2:
        return False
    parts = set(name_tokens(local.replace(".", " ").replace("_", " ").replace("-", " ")))
    return tokens[0] in parts and tokens[-1] in parts


@dataclass(frozen=True, slots=True)
class Attributed:
    finding: Finding
    owner: Owner
    direct: bool
    """True when the finding itself was compared; False when it inherited its owner."""


class OwnershipMatcher:
    """Attributes findings to the uploader, a third person, or nobody known."""

    def __init__(
        self, uploader: Uploader, similarity: float, min_person_tokens: int, window: int, cue_window: int = 0
    ) -> None:
        self.uploader = uploader
        self.similarity = similarity
        self.min_person_tokens = min_person_tokens
        self.window = window
        self.cue_window = cue_window
        self._emails = {normalise_email(e) for e in uploader.emails}

    def _person_tokens(self, text: str) -> int:
        return len(name_tokens(text))

    def direct_owner(self, finding: Finding) -> Owner | None:
        """The owner a finding shows by itself, or None when it cannot be compared."""
        up = self.uploader
        kind = finding.entity_type
        if not up.raw_known and up.keyed is not None:
            return self._keyed_owner(finding, up.keyed)
        if kind == "PERSON":
            if not up.name:
                return None
            if name_matches(finding.text, up.name, self.similarity):
                return "own"
            return "third_party" if self._person_tokens(finding.text) >= self.min_person_tokens else None
        if kind == "EMAIL_ADDRESS":
            if normalise_email(finding.text) in self._emails:
                return "own"
            if up.name and _email_spells_name(finding.text, up.name):
                return "own"
            return "third_party" if self._emails else None
        if kind == "PHONE_NUMBER":
            if not up.phones:
                return None
            return "own" if any(phones_match(finding.text, p) for p in up.phones) else "third_party"
        if kind == "MRZ":
            mrz = parse_mrz(finding.text)
            if mrz is None or not up.name or not (mrz.surname or mrz.given_names):
                return None
            holder = f"{mrz.given_names} {mrz.surname}"
            return "own" if name_matches(holder, up.name, self.similarity) else "third_party"
        return None

    def _keyed_owner(self, finding: Finding, keyed: IdentityKeys) -> Owner | None:
        """The same questions asked of an identity kept as keyed hashes: exact (normalised) values,
        name tokens, and the values matched to the uploader when the raw identity was known."""
        kind = finding.entity_type
        if keyed.holds(kind, finding.text):
            return "own"
        if kind == "PERSON":
            if "name" not in keyed.kinds:
                return None
            if keyed.holds_name(finding.text):
                return "own"
            return "third_party" if self._person_tokens(finding.text) >= self.min_person_tokens else None
        if kind == "EMAIL_ADDRESS":
            return "third_party" if "email" in keyed.kinds else None
        if kind == "PHONE_NUMBER":
            return "third_party" if "phone" in keyed.kinds else None
        if kind == "MRZ":
            mrz = parse_mrz(finding.text)
            if mrz is None or "name" not in keyed.kinds or not (mrz.surname or mrz.given_names):
                return None
            return "own" if keyed.holds_name(f"{mrz.given_names} {mrz.surname}") else "third_party"
        return None

    def _distance(self, a: Finding, b: Finding) -> int | None:
        if (a.page, a.source, a.origin) != (b.page, b.source, b.origin):
            return None
        return max(0, max(a.start, b.start) - min(a.end, b.end))

    def _cued(self, finding: Finding, cues: Mapping[SegmentKey, Sequence[tuple[int, int]]]) -> bool:
        spans = cues.get((finding.page, finding.source, finding.origin), ())
        return any(max(0, max(start, finding.start) - min(end, finding.end)) <= self.cue_window for start, end in spans)

    def attribute(
        self, findings: Iterable[Finding], cues: Mapping[SegmentKey, Sequence[tuple[int, int]]] | None = None
    ) -> list[Attributed]:
        """Owners for ``findings``. ``cues`` are spans of third-person wording ("lives at",
        "her number is") per text: a finding beside one that the uploader's identity does
        not claim is a third person's, even when no identity is known."""
        items = list(findings)
        cues = cues or {}
        known = self.uploader.known
        if not known and not cues:
            return [Attributed(f, "unknown", False) for f in items]
        # 1. What the uploader's identity says about each finding by itself.
        owners: list[Owner | None] = [self.direct_owner(f) if known else None for f in items]
        direct = [o is not None for o in owners]
        identity_anchors = [(f, o) for f, o in zip(items, owners, strict=True) if o is not None]
        # 2. Third-person wording marks what the identity did not settle, unless the nearest
        #    compared finding is the uploader's ("thats me, Mark Olsen, lives at ..." is theirs).
        for i, finding in enumerate(items):
            if owners[i] is None and self._cued(finding, cues) and self._nearest(finding, identity_anchors) != "own":
                owners[i] = "third_party"
                direct[i] = True
        anchors = [(f, o) for f, o in zip(items, owners, strict=True) if o is not None]
        anchor_owners = {o for _, o in anchors}
        # 3. The rest follow the nearest settled finding; failing that, the only owner the file
        #    shows (with a known identity: without one, "all of it is one person's" is a guess).
        only_owner: Owner | None = next(iter(anchor_owners)) if known and len(anchor_owners) == 1 else None
        out: list[Attributed] = []
        for i, finding in enumerate(items):
            owner = owners[i]
            if owner is not None:
                out.append(Attributed(finding, owner, direct[i]))
                continue
            inherited: Owner = self._nearest(finding, anchors) or only_owner or "unknown"
            out.append(Attributed(finding, inherited, False))
        return out

    def _nearest(self, finding: Finding, anchors: Sequence[tuple[Finding, Owner]]) -> Owner | None:
        best: tuple[int, Owner] | None = None
        for anchor, owner in anchors:
            distance = self._distance(finding, anchor)
            if distance is not None and distance <= self.window and (best is None or distance < best[0]):
                best = (distance, owner)
        return best[1] if best else None
