"""The context reaches the rules through the real pipeline (Tesseract, Presidio) and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from piiscan.rules.context import ScanContext, Uploader
from piiscan.scanner.pipeline import Scanner
from piiscan.synth.render import image_bytes, td3_mrz, text_image

CLARA = Uploader(name="Clara Jensen", emails=("clara.jensen@example.com",))


def test_uploaders_own_passport_scan(scanner: Scanner) -> None:
    l1, l2 = td3_mrz("JENSEN", "CLARA", "X12345678", "UTO", "900101", "F", "300101")
    image = text_image(["PASSPORT", "", l1, l2], width=1500, font_size=30, mono=True)
    data = image_bytes(image)
    own = scanner.scan(data, "passport.png", ScanContext(CLARA, "private")).result
    assert own.verdict == "sensitive_document" and own.severity == "low"
    assert {"sensitive.own-document", "own.data"} <= {h.id for h in own.rules}
    assert own.rule_pack_version == "default@1.2.0"
    others = scanner.scan(data, "passport.png", ScanContext(Uploader(name="Mark Olsen"), "private")).result
    assert others.verdict == "sensitive_document" and others.severity == "high"
    assert "sensitive.document" in {h.id for h in others.rules}


def test_screenshot_naming_uploader_and_third_person_scan(scanner: Scanner) -> None:
    lines = ["Clara Jensen: are you coming tonight?", "Mark Olsen: yes, call me on (212) 555-0147"]
    data = image_bytes(text_image(lines, font_size=30))
    result = scanner.scan(data, "chat.png", ScanContext(CLARA, "public")).result
    assert result.verdict == "third_party_data", result.to_dict()
    assert result.rules[0].id == "third-party.contact"
    assert "(212) 555-0147" not in json.dumps(result.to_dict())


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "piiscan.cli", *args], capture_output=True, text=True, timeout=300)


def test_cli_context_flags(tmp_path: Path) -> None:
    letter = tmp_path / "letter.txt"
    letter.write_text("Best wishes, Clara Jensen (clara.jensen@example.com)\n")
    other = tmp_path / "other.txt"
    other.write_text("Call Mark Olsen on 212-555-0147 or write to mark.olsen@example.org\n")
    out = run(
        "scan", str(letter), str(other), "--format", "jsonl",
        "--uploader-name", "Clara Jensen", "--uploader-email", "CLARA.JENSEN@example.com",
        "--uploader-email", "cj@example.net", "--uploader-phone", "+1 212 555 0199",
        "--uploader-id", "u-1", "--tenant", "t-1", "--visibility", "private",
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    reports = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["verdict"], r["severity"]) for r in reports] == [("own_data", "none"), ("third_party_data", "low")]
    assert "Clara Jensen" not in out.stdout  # the context never reaches the report

    bad = tmp_path / "packs"
    bad.mkdir()
    (bad / "ops.yaml").write_text("pack: ops\nversion: 1\nthresholds:\n  pdq_max_distance: -1\n")
    refused = run("scan", str(letter), "--rule-pack-dir", str(bad))
    assert refused.returncode == 2
    assert f"{bad / 'ops.yaml'}:4:" in refused.stderr and "pdq_max_distance" in refused.stderr
