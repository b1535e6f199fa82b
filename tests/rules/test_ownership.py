"""Matching findings against the uploader: names fuzzily, e-mails and phones normalised."""

from __future__ import annotations

import pytest

from piiscan.rules.context import Uploader
from piiscan.rules.ownership import (
    OwnershipMatcher,
    name_matches,
    name_tokens,
    normalise_email,
    phones_match,
)
from piiscan.scanner.model import Finding
from piiscan.synth.render import td3_mrz


@pytest.mark.parametrize(
    "found",
    [
        "Clara Jensen",
        "JENSEN Clara",
        "Jensen, Clara",
        "clára jensen",
        "C. Jensen",
        "Clara M. Jensen",
        "Ms Clara Jensen",
        "Clara Jensem",
        "JENSEN",
        "Clara Jensen Phone",
    ],
)
def test_names_that_are_the_uploader(found: str) -> None:
    assert name_matches(found, "Clara Maria Jensen", 0.8)


@pytest.mark.parametrize(
    "found", ["Mark Olsen", "Clara Hansen", "C. Hansen", "Marie Jensen", "J. Olsen", "Klara Olsen"]
)
def test_names_that_are_not(found: str) -> None:
    assert not name_matches(found, "Clara Jensen", 0.8)


def test_name_tokens_fold_accents_and_drop_titles() -> None:
    assert name_tokens("Dr. Zoë Müller-Øster") == ["zoe", "muller", "oster"]


def test_mrz_transliteration_still_matches() -> None:
    assert name_matches("MUELLER ZOE", "Zoë Müller", 0.8)


def test_email_normalisation() -> None:
    assert normalise_email(" Clara.Jensen+news@Example.COM ") == "clara.jensen@example.com"
    assert normalise_email("c.l.a.r.a+x@googlemail.com") == "clara@gmail.com"
    assert normalise_email("c.l.a.r.a@example.com") == "c.l.a.r.a@example.com"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("+1 (212) 555-0199", "212.555.0199", True),
        ("0044 20 7946 0958", "+44 20 7946 0958", True),
        ("555-0199", "212-555-0199", True),  # seven digits compared
        ("0199", "212-555-0199", False),  # too few digits to say
        ("212-555-0147", "212-555-0199", False),
    ],
)
def test_phones(a: str, b: str, same: bool) -> None:
    assert phones_match(a, b) is same


def _f(kind: str, text: str, start: int, page: int = 1) -> Finding:
    return Finding(kind, 0.9, page, "ocr", text, "x", start, start + len(text))


def test_attribution_by_proximity_and_fallback() -> None:
    matcher = OwnershipMatcher(Uploader(name="Clara Jensen"), 0.8, 2, 200)
    clara, mark = _f("PERSON", "Clara Jensen", 0), _f("PERSON", "Mark Olsen", 500)
    near_mark = _f("STREET_ADDRESS", "12 Elm Street", 520)
    near_clara = _f("IBAN_CODE", "DE89 3704 0044 0532 0130 00", 20)
    far = _f("IP_ADDRESS", "192.0.2.1", 2000)
    owners = {a.finding.text: (a.owner, a.direct) for a in matcher.attribute([clara, mark, near_mark, near_clara, far])}
    assert owners["Clara Jensen"] == ("own", True)
    assert owners["Mark Olsen"] == ("third_party", True)
    assert owners["12 Elm Street"] == ("third_party", False)
    assert owners["DE89 3704 0044 0532 0130 00"] == ("own", False)
    assert owners["192.0.2.1"] == ("unknown", False)  # far from both, and the file names two people
    # A file that names only the uploader: everything in it is theirs.
    alone = {a.finding.text: a.owner for a in matcher.attribute([clara, far])}
    assert alone["192.0.2.1"] == "own"


def test_mrz_holder_is_compared() -> None:
    l1, l2 = td3_mrz("JENSEN", "CLARA", "X12345678", "UTO", "900101", "F", "300101")
    mrz = _f("MRZ", f"{l1}\n{l2}", 0)
    assert OwnershipMatcher(Uploader(name="Clara Jensen"), 0.8, 2, 200).direct_owner(mrz) == "own"
    assert OwnershipMatcher(Uploader(name="Mark Olsen"), 0.8, 2, 200).direct_owner(mrz) == "third_party"
    assert OwnershipMatcher(Uploader(emails=("a@example.com",)), 0.8, 2, 200).direct_owner(mrz) is None


def test_email_spelling_the_uploaders_name_is_theirs() -> None:
    matcher = OwnershipMatcher(Uploader(name="Clara Jensen", emails=("cj@home.example",)), 0.8, 2, 200)
    assert matcher.direct_owner(_f("EMAIL_ADDRESS", "clara.jensen@work.example", 0)) == "own"
    assert matcher.direct_owner(_f("EMAIL_ADDRESS", "mark@work.example", 0)) == "third_party"
    unknown_mails = OwnershipMatcher(Uploader(name="Clara Jensen"), 0.8, 2, 200)
    assert unknown_mails.direct_owner(_f("EMAIL_ADDRESS", "mark@work.example", 0)) is None


def test_no_identity_means_unknown() -> None:
    matcher = OwnershipMatcher(Uploader(user_id="u-1"), 0.8, 2, 200)
    assert {a.owner for a in matcher.attribute([_f("PERSON", "Clara Jensen", 0)])} == {"unknown"}
