"""Bad input yields verdict ``error`` with a stable code and a useful message; the run goes on."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.synth.render import image_bytes, text_image, text_pdf


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its data does not have (a decompression-bomb header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.txt", b"\x00" * (30 * 1024 * 1024))
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([["secret"]]))))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


CASES = {
    "empty": (lambda: b"", "empty_file"),
    "truncated_png": (lambda: image_bytes(text_image(["Clara Jensen"]))[:400], "corrupt_file"),
    "billion_pixels": (lambda: _png_claiming(100_000, 100_000), "image_too_large"),
    "zip_bomb": (_zip_bomb, "archive_limit"),
    "encrypted_pdf": (_encrypted_pdf, "encrypted_file"),
    "corrupt_pdf": (lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "corrupt_file"),
    "unknown_binary": (lambda: bytes(range(256)) * 4, "unsupported_type"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_has_typed_error(scanner: Scanner, case: str) -> None:
    build, code = CASES[case]
    result = scanner.scan(build(), f"{case}.bin").result
    assert result.verdict == "error", result.to_dict()
    assert result.error is not None and result.error["code"] == code
    assert len(result.error["message"]) > 20  # says what to do, not just a code


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2048)
    result = Scanner(Settings(max_file_bytes=1024)).scan_source(str(path)).result
    assert result.verdict == "error" and result.error and result.error["code"] == "file_too_large"
    assert "PIISCAN_MAX_FILE_BYTES" in result.error["message"]


def test_missing_path(scanner: Scanner, tmp_path: Path) -> None:
    result = scanner.scan_source(str(tmp_path / "nope.png")).result
    assert result.error and result.error["code"] == "not_found"


def test_ocr_timeout_per_page(scanner: Scanner) -> None:
    slow = Scanner(Settings(ocr_timeout_s=0.001), detector=scanner.detector)
    image = text_image(["word " * 20] * 40, width=2400, font_size=24)
    result = slow.scan(image_bytes(image), "dense.png").result
    assert result.verdict == "error" and result.error and result.error["code"] == "ocr_timeout"


def test_run_goes_on_after_bad_input(scanner: Scanner, tmp_path: Path) -> None:
    (tmp_path / "a-empty.png").write_bytes(b"")
    (tmp_path / "b-good.txt").write_text("Write to clara.jensen@example.com")
    results = [scanner.scan_source(str(p)).result for p in sorted(tmp_path.iterdir())]
    assert [r.verdict for r in results] == ["error", "personal_data"]


def test_error_messages_never_quote_content(scanner: Scanner) -> None:
    secret = "clara.jensen@example.com"
    bad = b"%PDF-1.7\n" + secret.encode() + b" broken"
    result = scanner.scan(bad, "x.pdf").result
    assert result.verdict == "error" and secret not in str(result.to_dict())
