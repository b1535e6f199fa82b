"""One verdict per report, every fired rule listed, by the documented precedence.

Findings are built directly from texts (no Presidio, no Tesseract): these tests are about
the decision, not the detection.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from piiscan.rules.context import ScanContext, Uploader, Visibility
from piiscan.rules.engine import Decision, RuleEngine, decide
from piiscan.rules.hashlists import HashListStore
from piiscan.scanner.model import Extraction, Finding, RuleHit
from piiscan.settings import Settings
from piiscan.synth.render import td3_mrz

from .conftest import MakeDoc

CLARA = Uploader(user_id="u-1", name="Clara Jensen", emails=("Clara.Jensen+uploads@Example.com",))


def ctx(visibility: Visibility = "public", uploader: Uploader = CLARA) -> ScanContext:
    return ScanContext(uploader=uploader, visibility=visibility, tenant="t-1")


def ids(decision: Decision) -> list[str]:
    return [hit.id for hit in decision.rules]


def assert_no_values(decision: Decision, findings: list[Finding]) -> None:
    """Reasons name kinds of data, never the data."""
    for hit in decision.rules:
        for finding in findings:
            assert finding.text not in hit.reason, (hit.id, hit.reason)


def test_clean(engine: RuleEngine, doc: MakeDoc) -> None:
    findings, extraction = doc("Nothing personal here, only weather: sunny.", [])
    decision = engine.evaluate(findings, extraction, ScanContext())
    assert (decision.verdict, decision.severity, decision.rules) == ("clean", "none", [])
    assert decision.rule_pack_version == "default@1.2.0"


def test_findings_only_call_still_works(doc: MakeDoc) -> None:
    """Callers that pass only findings (the evaluation harness) get the old behaviour."""
    findings, _ = doc(
        "Write to Clara Jensen at clara.jensen@example.com",
        [
            ("PERSON", "Clara Jensen"),
            ("EMAIL_ADDRESS", "clara.jensen@example.com"),
        ],
    )
    decision = RuleEngine().evaluate(findings)
    assert decision.verdict == "personal_data"
    assert ids(decision) == ["personal.identifying"]
    assert decision.rule_pack_version.startswith("default@")


def test_one_word_name_alone_is_not_personal(engine: RuleEngine, doc: MakeDoc) -> None:
    findings, extraction = doc("Lorem ipsum dolor sit amet.", [("PERSON", "Lorem")])
    assert engine.evaluate(findings, extraction).verdict == "clean"


def test_unknown_owner_is_personal_data(engine: RuleEngine, doc: MakeDoc) -> None:
    text = "Tenant: Mark Olsen, 12 Elm Street, Springfield. Phone 212-555-0147."
    findings, extraction = doc(
        text,
        [
            ("PERSON", "Mark Olsen"),
            ("STREET_ADDRESS", "12 Elm Street, Springfield"),
            ("PHONE_NUMBER", "212-555-0147"),
        ],
    )
    public = engine.evaluate(findings, extraction, ScanContext())
    assert (public.verdict, public.severity, ids(public)) == ("personal_data", "high", ["personal.profile"])
    private = engine.evaluate(findings, extraction, ScanContext(visibility="private"))
    assert private.severity == "medium"
    assert_no_values(public, findings)


@pytest.mark.parametrize(
    ("written", "email"),
    [
        ("Clara Jensen", "clara.jensen+uploads@example.com"),
        ("JENSEN, Clára", "CLARA.JENSEN@example.com"),
        ("C. Jensen", "clara.jensen@example.com"),
        ("Dr. Clara Jensem", "clara.jensen@example.com"),  # an OCR slip in the surname
    ],
)
def test_own_data(engine: RuleEngine, doc: MakeDoc, written: str, email: str) -> None:
    text = f"From: {written} <{email}>\nPhone: +1 (212) 555-0199\nThanks for the invite!"
    findings, extraction = doc(
        text, [("PERSON", written), ("EMAIL_ADDRESS", email), ("PHONE_NUMBER", "(212) 555-0199")]
    )
    decision = engine.evaluate(findings, extraction, ctx("public"))
    assert (decision.verdict, ids(decision)) == ("own_data", ["own.data"])
    assert decision.severity == "low"
    assert engine.evaluate(findings, extraction, ctx("private")).severity == "none"
    assert_no_values(decision, findings)


def test_own_phone_matched_by_digits(engine: RuleEngine, doc: MakeDoc) -> None:
    uploader = Uploader(name="Clara Jensen", phones=("+1 212 555 0199",))
    findings, extraction = doc("Call me on 212.555.0199", [("PHONE_NUMBER", "212.555.0199")])
    assert engine.evaluate(findings, extraction, ctx(uploader=uploader)).verdict == "own_data"
    other, extraction = doc("Call Mark on 212.555.0147", [("PHONE_NUMBER", "212.555.0147")])
    assert engine.evaluate(other, extraction, ctx(uploader=uploader)).verdict == "third_party_data"


def test_screenshot_naming_uploader_and_third_person(engine: RuleEngine, doc: MakeDoc) -> None:
    text = "Clara Jensen\nsee you at 5?\nMark Olsen\nsure, call me on 212-555-0147 when you are outside"
    findings, extraction = doc(
        text,
        [
            ("PERSON", "Clara Jensen"),
            ("PERSON", "Mark Olsen"),
            ("PHONE_NUMBER", "212-555-0147"),
        ],
    )
    decision = engine.evaluate(findings, extraction, ctx("public"))
    assert decision.verdict == "third_party_data"
    assert ids(decision) == ["third-party.contact"]  # no own_data: not every finding is the uploader's
    assert decision.severity == "medium"
    assert "name and phone number" in decision.rules[0].reason
    assert_no_values(decision, findings)


@pytest.mark.parametrize(
    ("visibility", "severity"), [("public", "critical"), ("unlisted", "high"), ("private", "medium")]
)
def test_doxxing_severity_rises_with_visibility(
    engine: RuleEngine, doc: MakeDoc, visibility: Visibility, severity: str
) -> None:
    text = "yeah thats Mark Olsen, lives at 12 Elm Street, Springfield\nnumber is 212-555-0147"
    findings, extraction = doc(
        text,
        [
            ("PERSON", "Mark Olsen"),
            ("STREET_ADDRESS", "12 Elm Street, Springfield"),
            ("PHONE_NUMBER", "212-555-0147"),
        ],
    )
    decision = engine.evaluate(findings, extraction, ctx(visibility))
    assert (decision.verdict, decision.severity) == ("third_party_data", severity)
    assert ids(decision) == ["third-party.doxxing"]
    assert "doxxing" in decision.rules[0].reason and visibility in decision.rules[0].reason
    assert_no_values(decision, findings)


def test_third_person_wording_without_any_context(engine: RuleEngine, doc: MakeDoc) -> None:
    """A doxxing screenshot is someone else's data even when the hook sent no identity."""
    text = "anyone know who parks there??\nyeah thats Mark Olsen, lives at 12 Elm Street, Springfield\n"
    text += "their number is 212-555-0147, go tell them"
    entities = [
        ("PERSON", "Mark Olsen"),
        ("STREET_ADDRESS", "12 Elm Street, Springfield"),
        ("PHONE_NUMBER", "212-555-0147"),
    ]
    findings, extraction = doc(text, entities)
    decision = engine.evaluate(findings, extraction, ScanContext())
    assert (decision.verdict, decision.severity, ids(decision)) == (
        "third_party_data",
        "critical",
        ["third-party.doxxing"],
    )
    # Without the extracted text (findings only) ownership cannot be told.
    assert engine.evaluate(findings).verdict == "personal_data"
    # The uploader's own data stays theirs whatever the wording around it.
    own = Uploader(name="Mark Olsen", phones=("212 555 0147",))
    assert engine.evaluate(findings, extraction, ctx(uploader=own)).verdict == "own_data"


def test_third_party_card_is_sensitive(engine: RuleEngine, doc: MakeDoc) -> None:
    text = "Mark Olsen paid with 4111 1111 1111 1111, thanks Mark!"
    findings, extraction = doc(text, [("PERSON", "Mark Olsen"), ("CREDIT_CARD", "4111 1111 1111 1111")])
    decision = engine.evaluate(findings, extraction, ctx("public"))
    assert (decision.verdict, decision.severity) == ("sensitive_document", "critical")
    assert ids(decision)[0] == "sensitive.document"
    assert "third-party.contact" not in ids(decision) and "third-party.name" in ids(decision)
    assert_no_values(decision, findings)


def _passport(surname: str, given: str) -> str:
    l1, l2 = td3_mrz(surname, given, "X12345678", "UTO", "900101", "F", "300101")
    return (
        f"PASSPORT / PASSEPORT\nSurname / Nom\n{surname}\nGiven names / Prénoms\n{given}\n"
        f"Date of birth\n01 JAN 1990\nNationality\nUTOPIAN\nDate of expiry\n01 JAN 2030\n{l1}\n{l2}"
    )


@pytest.mark.parametrize(("visibility", "severity"), [("private", "low"), ("unlisted", "medium"), ("public", "high")])
def test_uploaders_own_passport(engine: RuleEngine, doc: MakeDoc, visibility: Visibility, severity: str) -> None:
    """Own data, but a sensitive document: the verdict is sensitive_document (an identity
    document needs care whoever owns it), its severity lowered because it is the uploader's,
    and the own_data rule is listed beside it."""
    text = _passport("JENSEN", "CLARA")
    mrz = text[text.index("P<UTO") :]
    findings, extraction = doc(
        text, [("PERSON", "JENSEN"), ("PERSON", "CLARA"), ("DATE_TIME", "01 JAN 1990"), ("MRZ", mrz)]
    )
    decision = engine.evaluate(findings, extraction, ctx(visibility))
    assert decision.verdict == "sensitive_document"
    assert decision.severity == severity
    assert set(ids(decision)) == {"sensitive.own-document", "sensitive.own-id-layout", "own.data"}
    assert_no_values(decision, findings)


def test_someone_elses_passport(engine: RuleEngine, doc: MakeDoc) -> None:
    text = _passport("OLSEN", "MARK")
    mrz = text[text.index("P<UTO") :]
    findings, extraction = doc(text, [("PERSON", "OLSEN"), ("PERSON", "MARK"), ("MRZ", mrz)])
    decision = engine.evaluate(findings, extraction, ctx("private"))
    assert (decision.verdict, decision.severity) == ("sensitive_document", "high")
    assert {"sensitive.document", "sensitive.id-layout", "third-party.name"} <= set(ids(decision))
    assert "own.data" not in ids(decision)


def test_id_card_layout_without_mrz(engine: RuleEngine, doc: MakeDoc) -> None:
    text = (
        "REPUBLIC OF UTOPIA\nIDENTITY CARD\nSurname OLSEN\nGiven names MARK\n"
        "Date of birth 01.01.1990\nSex M\nNationality UTO"
    )
    findings, extraction = doc(text, [("PERSON", "OLSEN"), ("PERSON", "MARK")])
    decision = engine.evaluate(findings, extraction, ScanContext())
    assert (decision.verdict, ids(decision)) == ("sensitive_document", ["sensitive.id-layout"])


def test_application_form_is_not_an_id_document(engine: RuleEngine, doc: MakeDoc) -> None:
    text = "Membership form\nSurname: Olsen\nFirst name: Mark Olsen\nDate of birth: 1990\nNationality: UTO\nSignature"
    findings, extraction = doc(text, [("PERSON", "Mark Olsen")])
    assert engine.evaluate(findings, extraction).verdict == "personal_data"


def test_abusive_outranks_personal_data_but_keeps_its_severity(engine: RuleEngine, doc: MakeDoc) -> None:
    text = "Mark Olsen lives at 12 Elm Street, Springfield, phone 212-555-0147. I will kill you, Mark."
    findings, extraction = doc(
        text,
        [
            ("PERSON", "Mark Olsen"),
            ("STREET_ADDRESS", "12 Elm Street, Springfield"),
            ("PHONE_NUMBER", "212-555-0147"),
        ],
    )
    decision = engine.evaluate(findings, extraction, ctx("public"))
    assert decision.verdict == "abusive" and decision.severity == "critical"
    assert ids(decision) == ["abuse.threat.violence", "third-party.doxxing"]


def test_illegal_outranks_everything(tmp_path: Path, doc: MakeDoc) -> None:
    image = Image.new("RGB", (64, 64), "red")
    data = b"the exact bytes of a listed file"
    import hashlib

    (tmp_path / "known.txt").write_text(f"sha256:{hashlib.sha256(data).hexdigest()} case-7\n")
    engine = RuleEngine(Settings(), hash_lists=HashListStore(tmp_path))
    findings, extraction = doc(
        "I will kill you. Mark Olsen, 4111 1111 1111 1111",
        [
            ("PERSON", "Mark Olsen"),
            ("CREDIT_CARD", "4111 1111 1111 1111"),
        ],
    )
    extraction.images.append(image)
    decision = engine.evaluate(findings, extraction, ScanContext(), sha256=hashlib.sha256(data).hexdigest())
    assert decision.verdict == "illegal" and decision.severity == "critical"
    assert ids(decision)[:2] == ["illegal.known-file", "abuse.threat.violence"]
    assert "known" in decision.rules[0].reason and "case-7" in decision.rules[0].reason


def test_precedence_ties_and_order() -> None:
    hits = [
        RuleHit("own.data", "own_data", "low", "r"),
        RuleHit("third-party.location", "third_party_data", "high", "r"),
        RuleHit("sensitive.own-document", "sensitive_document", "high", "r"),
        RuleHit("personal.single", "personal_data", "low", "r"),
    ]
    decision = decide(hits, "v")
    assert decision.verdict == "sensitive_document"  # tie on severity: sensitive_document
    assert [h.id for h in decision.rules][:2] == ["sensitive.own-document", "third-party.location"]
    hits.append(RuleHit("third-party.doxxing", "third_party_data", "critical", "r"))
    assert decide(hits, "v").verdict == "third_party_data"  # a more severe exposure wins the tier
    assert decide([], "v") == Decision("clean", "none", [], "v")


def test_context_is_validated() -> None:
    with pytest.raises(ValueError, match="visibility"):
        ScanContext(visibility="secret")  # type: ignore[arg-type]
    assert not Uploader(user_id="u-1").known
    assert ScanContext().visibility == "public"


def test_extraction_without_findings_or_text(engine: RuleEngine) -> None:
    assert engine.evaluate([], Extraction()).verdict == "clean"


def test_an_address_alone_is_a_shops_not_a_persons(engine: RuleEngine, doc: MakeDoc) -> None:
    receipt = "CORNER MARKET\n2002 Hill Road, East Sharon, ND 03720\nTOTAL 12.40\nCARD **** 1234"
    findings, extraction = doc(receipt, [("STREET_ADDRESS", "2002 Hill Road, East Sharon, ND 03720")])
    assert engine.evaluate(findings, extraction, ScanContext()).verdict == "clean"
    letter = "Peter Novak\n2002 Hill Road, East Sharon, ND 03720"
    findings, extraction = doc(
        letter, [("PERSON", "Peter Novak"), ("STREET_ADDRESS", "2002 Hill Road, East Sharon, ND 03720")]
    )
    assert engine.evaluate(findings, extraction, ScanContext()).verdict != "clean"
