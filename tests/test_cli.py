"""The ``piiscan scan`` command as a user runs it: a real process, exit codes like grep."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from piiscan.synth.render import image_bytes, text_image, text_pdf

EMAIL = "clara.jensen@example.com"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "piiscan.cli", *args], capture_output=True, text=True, timeout=300)


def test_exit_codes_and_json_contract(tmp_path: Path) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("Nothing personal here, only weather: sunny.")
    flagged = tmp_path / "letter.pdf"
    flagged.write_bytes(text_pdf([[f"Write to Clara Jensen at {EMAIL}"]]))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")

    ok = run("scan", str(clean), "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)[0]["verdict"] == "clean"

    hit = run("scan", str(flagged), "--format", "json")
    assert hit.returncode == 1, hit.stderr
    report = json.loads(hit.stdout)[0]
    for key in ("source", "sha256", "media_type", "size", "pages", "verdict", "severity", "findings", "rules"):
        assert key in report
    assert report["rule_pack_version"]
    email = next(f for f in report["findings"] if f["entity_type"] == "EMAIL_ADDRESS")
    assert "text" not in email and EMAIL not in hit.stdout
    assert email["masked"] == "c***@***.com" and email["source"] == "text_layer"

    bad = run("scan", str(clean), str(empty), str(flagged), "--format", "jsonl")
    assert bad.returncode == 2
    lines = [json.loads(line) for line in bad.stdout.splitlines()]
    assert [r["verdict"] for r in lines] == ["clean", "error", "personal_data"]
    assert lines[1]["error"]["code"] == "empty_file"


def test_reveal_and_table(tmp_path: Path) -> None:
    path = tmp_path / "shot.png"
    path.write_bytes(image_bytes(text_image([f"mail {EMAIL}"], font_size=30)))
    revealed = run("scan", str(path), "--format", "json", "--reveal")
    assert EMAIL in {f.get("text") for f in json.loads(revealed.stdout)[0]["findings"]}
    table = run("scan", str(tmp_path))
    assert table.returncode == 1
    assert "EMAIL_ADDRESS" in table.stdout and "c***@***.com" in table.stdout and EMAIL not in table.stdout
