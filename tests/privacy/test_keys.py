"""Keyed hashes: normalisation, rotation, and ownership matching by hash giving the raw verdicts."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from piiscan.privacy.keys import EvidenceKeys, finding_value, normalise
from piiscan.rules.context import ScanContext, Uploader
from piiscan.rules.engine import RuleEngine
from piiscan.rules.ownership import OwnershipMatcher
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Extraction, Finding, TextSegment
from piiscan.settings import Settings
from piiscan.synth.render import td3_mrz

K1 = "k1-secret-" + "a" * 16
K2 = "k2-secret-" + "b" * 16


@pytest.mark.parametrize(
    ("category", "a", "b"),
    [
        ("email", "Clara.Jensen@Example.COM", " clara.jensen+news@example.com"),
        ("email", "clara . jensen @ example.com", "CLARA.JENSEN@EXAMPLE.COM"),
        ("phone", "+1 212 555 0199", "(212) 555-0199"),
        ("phone", "212.555.0199", "001-212-555-0199"),
        ("number", "DE89 3704 0044 0532 0130 00", "de89370400440532013000"),
        ("number", "4111-1111-1111-1111", "4111 1111 1111 1111"),
        ("name", "Clara Jensen", "JENSEN,  clara"),
        ("name", "Dr. Clára Jensen", "clara jensen"),
    ],
)
def test_spellings_of_one_value_meet(category: str, a: str, b: str) -> None:
    keys = EvidenceKeys({"k1": K1}, "k1")
    assert keys.hash(category, a) == keys.hash(category, b)  # type: ignore[arg-type]


def test_different_values_and_categories_differ() -> None:
    keys = EvidenceKeys({"k1": K1}, "k1")
    assert keys.hash("phone", "+1 212 555 0199") != keys.hash("phone", "+1 212 555 0198")
    assert keys.hash("name", "Clara Jensen") != keys.hash("name", "Clara Hansen")
    assert keys.hash("number", "12345678") != keys.hash("phone", "12345678")
    assert keys.hash("email", "no address here") is None


def test_an_mrz_is_hashed_as_its_document_number() -> None:
    mrz = "\n".join(td3_mrz("JENSEN", "CLARA", "X1234567D", "DNK", "900101", "F", "300101"))
    assert finding_value("MRZ", mrz) == ("number", normalise("number", "X1234567D"))


def test_rotation_new_hashes_use_the_new_key_and_lookups_try_both() -> None:
    old = EvidenceKeys({"k1": K1}, "k1")
    kid, digest = old.hash_finding("EMAIL_ADDRESS", "clara@example.com") or ("", "")
    assert kid == "k1"
    rotated = EvidenceKeys({"k1": K1, "k2": K2}, "k2")
    new_kid, new_digest = rotated.hash_finding("EMAIL_ADDRESS", "clara@example.com") or ("", "")
    assert new_kid == "k2" and new_digest != digest
    assert ("k1", digest) in rotated.candidates("email", "CLARA@example.com")
    assert ("k2", new_digest) in rotated.candidates("email", "CLARA@example.com")


def test_settings_validate_the_keys() -> None:
    settings = Settings(evidence_keys={"k1": SecretStr(K1), "k2": SecretStr(K2)}, evidence_key_id="k2")
    assert settings.evidence_key_map() == ({"k1": K1, "k2": K2}, "k2")
    with pytest.raises(ValidationError):
        Settings(evidence_keys={"k1": SecretStr(K1), "k2": SecretStr(K2)})  # which one is current?
    with pytest.raises(ValidationError):
        Settings(evidence_keys={"k1": SecretStr("short")})
    with pytest.raises(ValidationError):
        Settings(evidence_keys={"k1": SecretStr(K1)}, evidence_key_id="k9")
    # Without keys, one is derived from the webhook secret: it is not the secret itself.
    keys, current = Settings(webhook_secret=SecretStr("w" * 32)).evidence_key_map()
    assert current == "w" and keys["w"] != "w" * 32


def _finding(entity_type: str, text: str, value: str) -> Finding:
    start = text.index(value)
    return Finding(entity_type, 0.9, 1, "ocr", value, mask(entity_type, value), start, start + len(value))


UPLOADER = Uploader(name="Clara Maria Jensen", emails=("clara.jensen@example.com",), phones=("+1 212 555 0199",))


@pytest.mark.parametrize(
    ("entity_type", "value"),
    [
        ("PERSON", "Clara Jensen"),
        ("PERSON", "JENSEN Clara"),
        ("PERSON", "C. Jensen"),
        ("PERSON", "Mark Olsen"),
        ("PERSON", "Olsen"),
        ("EMAIL_ADDRESS", "Clara.Jensen+x@example.com"),
        ("EMAIL_ADDRESS", "mark@example.org"),
        ("PHONE_NUMBER", "(212) 555-0199"),
        ("PHONE_NUMBER", "+44 20 7946 0958"),
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
    ],
)
def test_keyed_identity_owns_what_the_raw_one_owns(entity_type: str, value: str) -> None:
    keys = EvidenceKeys({"k1": K1}, "k1")
    keyed = keys.keyed_identity(keys.identity(UPLOADER.name, UPLOADER.emails, UPLOADER.phones))
    raw = OwnershipMatcher(UPLOADER, 0.8, 2, 120)
    hashed = OwnershipMatcher(Uploader(user_id="u-1", keyed=keyed), 0.8, 2, 120)
    finding = _finding(entity_type, f"x {value} y", value)
    assert hashed.direct_owner(finding) == raw.direct_owner(finding)


def test_fuzzy_matches_survive_as_hashes_of_the_owned_findings() -> None:
    """An OCR slip the raw matcher forgave ("Jensem") is owned on rescan through its own hash."""
    keys = EvidenceKeys({"k1": K1}, "k1")
    slip = _finding("PERSON", "Clara Jensem wrote", "Clara Jensem")
    assert OwnershipMatcher(UPLOADER, 0.8, 2, 120).direct_owner(slip) == "own"
    without = keys.keyed_identity(keys.identity(UPLOADER.name, UPLOADER.emails, UPLOADER.phones))
    with_own = keys.keyed_identity(
        keys.identity(UPLOADER.name, UPLOADER.emails, UPLOADER.phones, [("PERSON", "Clara Jensem")])
    )
    assert OwnershipMatcher(Uploader(keyed=without), 0.8, 2, 120).direct_owner(slip) == "third_party"
    assert OwnershipMatcher(Uploader(keyed=with_own), 0.8, 2, 120).direct_owner(slip) == "own"


def test_a_removed_key_no_longer_links_the_identity() -> None:
    stored = EvidenceKeys({"k1": K1}, "k1").identity("Clara Jensen", (), ())
    assert EvidenceKeys({"k2": K2}, "k2").keyed_identity(stored) is None
    assert EvidenceKeys({"k1": K1, "k2": K2}, "k2").keyed_identity(stored) is not None


@pytest.mark.parametrize("mine", [True, False])
def test_verdicts_with_the_keyed_identity_equal_the_raw_ones(mine: bool) -> None:
    engine = RuleEngine(Settings())
    name = "Clara Jensen" if mine else "Mark Olsen"
    text = f"{name}\n14 Harbour Road, Springfield IL 62704\nPhone: +1 212 555 0199\nclara.jensen@example.com"
    findings = [
        _finding("PERSON", text, name),
        _finding("STREET_ADDRESS", text, "14 Harbour Road, Springfield IL 62704"),
        _finding("PHONE_NUMBER", text, "+1 212 555 0199"),
        _finding("EMAIL_ADDRESS", text, "clara.jensen@example.com"),
    ]
    extraction = Extraction(segments=[TextSegment(text=text, page=1, source="ocr")])
    uploader = Uploader(name="Clara Jensen", emails=("clara.jensen@example.com",), phones=("2125550199",))
    raw = engine.evaluate(findings, extraction, ScanContext(uploader=uploader))
    keys = EvidenceKeys({"k1": K1}, "k1")
    keyed = keys.keyed_identity(keys.identity(uploader.name, uploader.emails, uploader.phones))
    hashed = engine.evaluate(findings, extraction, ScanContext(uploader=Uploader(keyed=keyed)))
    assert (hashed.verdict, hashed.severity) == (raw.verdict, raw.severity)
    assert [r.id for r in hashed.rules] == [r.id for r in raw.rules]
    assert raw.verdict == ("own_data" if mine else "third_party_data")
