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


def test_jobs_scan_files_in_processes_with_the_same_results_in_order(tmp_path: Path) -> None:
    letters = tmp_path / "letters"
    letters.mkdir()
    for n in range(4):
        (letters / f"{n}.txt").write_text(f"Letter {n}: write to clara{n}.jensen@example.com about the lease.")
    (letters / "2-copy.txt").write_text((letters / "2.txt").read_text())  # reused in-process, same result
    (letters / "clean.txt").write_text("Nothing personal here, only weather: sunny.")

    serial = run("scan", str(letters), "--format", "json")
    pooled = run("scan", str(letters), "--format", "json", "--jobs", "2")
    assert serial.returncode == pooled.returncode == 1, pooled.stderr

    def essence(out: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
        return [
            (r["source"], r["verdict"], [(f["entity_type"], f["masked"]) for f in r["findings"]])
            for r in json.loads(out)
        ]

    assert essence(pooled.stdout) == essence(serial.stdout)
    assert [s for s, _, _ in essence(pooled.stdout)] == sorted(str(p) for p in letters.iterdir())
