"""ZIP extraction: members scanned recursively, and every safety limit refuses with a typed error.

All archives, the bombs included, are built at run time; nothing is written to disk.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest
from PIL import Image

from piiscan.scanner.errors import (
    ArchiveLimitError,
    CorruptFileError,
    EncryptedFileError,
    UnsupportedTypeError,
)
from piiscan.scanner.extract.archive import (
    UNSAFE_PATH,
    ZipExtractor,
    ZipReader,
    check_zip_limits,
    nested_origin,
)
from piiscan.scanner.extract.base import ExtractContext
from piiscan.scanner.extract.office import OfficeExtractor
from piiscan.scanner.extract.text import TextExtractor
from piiscan.scanner.model import BBox, Extraction, TextSegment, Word
from piiscan.scanner.sniff import IMAGE_TYPES, sniff
from piiscan.settings import Settings

EMAIL = "clara.jensen@example.com"
OCR_TEXT = "Phone (212) 555-0199"


def fake_ocr(image: Image.Image, page: int) -> TextSegment:
    """Stands in for Tesseract: a fixed line with one box per word."""
    words, start = [], 0
    for i, token in enumerate(OCR_TEXT.split(" ")):
        words.append(Word(start, start + len(token), BBox(10 + 100 * i, 10, 90, 20), 95.0))
        start += len(token) + 1
    return TextSegment(text=OCR_TEXT, page=page, source="ocr", words=words)


def make_ctx(settings: Settings | None = None, prefix: bool = False) -> ExtractContext:
    """A context whose nested dispatch sniffs and calls Text/Office/Zip, or fake OCR for images.

    ``prefix`` mimics the production registry, which prefixes origins itself.
    """

    def dispatch(data: bytes, origin: str, ctx: ExtractContext) -> Extraction:
        media_type = sniff(data)
        if media_type in IMAGE_TYPES:
            try:
                with Image.open(io.BytesIO(data)) as image:
                    rgb = image.convert("RGB")
            except OSError:
                raise CorruptFileError("bad image") from None
            out = Extraction(segments=[ctx.ocr(rgb, 1)], ocr_pages=1, images=[rgb])
        else:
            for extractor in (TextExtractor(), OfficeExtractor(), ZipExtractor()):
                if media_type in extractor.media_types:
                    out = extractor.extract(data, ctx)
                    break
            else:
                raise UnsupportedTypeError(media_type)
        if prefix:
            for segment in out.segments:
                segment.origin = f"{origin}/{segment.origin}" if segment.origin else origin
        return out

    return ExtractContext(settings=settings or Settings(), ocr=fake_ocr, extract_nested=dispatch)


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buf, format="PNG")
    return buf.getvalue()


def flag_encrypted(data: bytes, name: str) -> bytes:
    """Set the 'encrypted' bit of one member in both its local header and its directory entry."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        local = zf.getinfo(name).header_offset
    out[local + 6] |= 0x1
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        (name_len,) = struct.unpack_from("<H", out, pos + 28)
        if bytes(out[pos + 46 : pos + 46 + name_len]) == name.encode():
            out[pos + 8] |= 0x1
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def by_origin(out: Extraction) -> dict[str | None, TextSegment]:
    return {segment.origin: segment for segment in out.segments}


def test_members_are_scanned_with_origins() -> None:
    data = make_zip(
        {
            "docs/": b"",
            "docs/contact.txt": f"Write to {EMAIL}".encode(),
            "people.csv": b"name,email\nBo Li,bo@example.org\n",
            "scan.png": png(),
            "empty.txt": b"",
        }
    )
    ctx = make_ctx()
    out = ZipExtractor().extract(data, ctx)
    segments = by_origin(out)
    assert segments["docs/contact.txt"].text == f"Write to {EMAIL}"
    assert segments["people.csv"].text.splitlines() == ["name | email", "Bo Li | bo@example.org"]
    ocr = segments["scan.png"]
    assert ocr.source == "ocr" and ocr.text == OCR_TEXT and ocr.bbox_for(6, 11) is not None
    assert out.pages == 4 and out.ocr_pages == 1 and len(out.images) == 1
    assert ctx.warnings == []


@pytest.mark.parametrize("prefix", [False, True])
def test_nested_zip_origins_are_prefixed_once(prefix: bool) -> None:
    inner = make_zip({"deep/contact.txt": f"Write to {EMAIL}".encode()})
    outer = make_zip({"readme.txt": b"Nothing here.", "inner.zip": inner})
    out = ZipExtractor().extract(outer, make_ctx(prefix=prefix))
    segments = by_origin(out)
    assert set(segments) == {"readme.txt", "inner.zip/deep/contact.txt"}
    assert EMAIL in segments["inner.zip/deep/contact.txt"].text


def test_nested_origin_rules() -> None:
    assert nested_origin("a.zip", None) == "a.zip"
    assert nested_origin("a.zip", "b.txt") == "a.zip/b.txt"
    assert nested_origin("a.zip", "a.zip/b.txt") == "a.zip/b.txt"
    assert nested_origin("a.zip", "a.zip") == "a.zip"


def test_bad_member_is_a_warning_and_the_rest_is_scanned() -> None:
    data = make_zip({"blob.bin": os.urandom(2048), "ok.txt": f"Mail {EMAIL}".encode()})
    ctx = make_ctx()
    out = ZipExtractor().extract(data, ctx)
    assert [s.origin for s in out.segments] == ["ok.txt"] and out.pages == 1
    assert [(w.code, w.origin) for w in ctx.warnings] == [("unsupported_type", "blob.bin")]


def test_warnings_from_a_nested_archive_carry_the_full_path() -> None:
    inner = make_zip({"blob.bin": os.urandom(2048), "ok.txt": b"fine"})
    ctx = make_ctx()
    ZipExtractor().extract(make_zip({"inner.zip": inner}), ctx)
    assert [(w.code, w.origin) for w in ctx.warnings] == [("unsupported_type", "inner.zip/blob.bin")]


def test_zip_bomb_is_refused_from_the_directory() -> None:
    bomb = make_zip({"zeros.txt": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 200_000  # > 250:1
    with pytest.raises(ArchiveLimitError) as err:
        ZipExtractor().extract(bomb, make_ctx())
    assert err.value.code == "archive_limit" and "compressed size" in err.value.message


def test_small_repetitive_members_are_not_bombs() -> None:
    data = make_zip({"blank.txt": b" " * 500_000 + EMAIL.encode()})
    out = ZipExtractor().extract(data, make_ctx())
    assert EMAIL in out.segments[0].text


def test_depth_limit() -> None:
    level1 = make_zip({"a.txt": f"Mail {EMAIL}".encode()})
    level2 = make_zip({"l1.zip": level1})
    level3 = make_zip({"l2.zip": level2})
    out = ZipExtractor().extract(level3, make_ctx(Settings(zip_max_depth=3)))
    assert [s.origin for s in out.segments] == ["l2.zip/l1.zip/a.txt"]
    ctx = make_ctx(Settings(zip_max_depth=2))
    with pytest.raises(ArchiveLimitError) as err:  # a limit breach deep inside fails the whole upload
        ZipExtractor().extract(level3, ctx)
    assert err.value.code == "archive_limit" and "nested" in err.value.message


def test_member_count_limit() -> None:
    data = make_zip({f"f{i}.txt": b"x" for i in range(6)})
    with pytest.raises(ArchiveLimitError) as err:
        ZipExtractor().extract(data, make_ctx(Settings(zip_max_members=5)))
    assert err.value.code == "archive_limit" and "entries" in err.value.message


def test_total_size_limit() -> None:
    data = make_zip({"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    with pytest.raises(ArchiveLimitError) as err:
        ZipExtractor().extract(data, make_ctx(Settings(zip_max_total_bytes=1000)))
    assert err.value.code == "archive_limit" and "expands to" in err.value.message


def test_reader_counts_real_bytes_when_the_directory_check_is_bypassed() -> None:
    data = make_zip({"a.bin": os.urandom(600_000), "b.bin": os.urandom(600_000)}, zipfile.ZIP_STORED)
    settings = Settings(zip_max_total_bytes=1_000_000)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        reader = ZipReader(zf, settings)
        assert len(reader.read(zf.getinfo("a.bin"))) == 600_000
        with pytest.raises(ArchiveLimitError):
            reader.read(zf.getinfo("b.bin"))


def test_reader_refuses_a_bomb_while_inflating() -> None:
    data = make_zip({"zeros.bin": bytes(5 * 1024 * 1024)})
    with zipfile.ZipFile(io.BytesIO(data)) as zf, pytest.raises(ArchiveLimitError):
        ZipReader(zf, Settings()).read(zf.getinfo("zeros.bin"))


def test_check_zip_limits_returns_file_members() -> None:
    data = make_zip({"dir/": b"", "dir/a.txt": b"a", "b.txt": b"b"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert [i.filename for i in check_zip_limits(zf, Settings(), 0)] == ["dir/a.txt", "b.txt"]


def test_oversized_member_is_skipped_with_a_warning() -> None:
    data = make_zip({"big.txt": b"x" * 500, "small.txt": b"tiny"})
    ctx = make_ctx(Settings(max_file_bytes=100))
    out = ZipExtractor().extract(data, ctx)
    assert [s.origin for s in out.segments] == ["small.txt"]
    assert [(w.code, w.origin) for w in ctx.warnings] == [("file_too_large", "big.txt")]


def test_some_encrypted_members_are_skipped_with_a_warning() -> None:
    data = flag_encrypted(make_zip({"secret.txt": b"hidden", "open.txt": f"Mail {EMAIL}".encode()}), "secret.txt")
    ctx = make_ctx()
    out = ZipExtractor().extract(data, ctx)
    assert [s.origin for s in out.segments] == ["open.txt"]
    assert [(w.code, w.origin) for w in ctx.warnings] == [("encrypted_file", "secret.txt")]


def test_all_members_encrypted_is_an_encrypted_file() -> None:
    data = make_zip({"a.txt": b"one", "b.txt": b"two"})
    data = flag_encrypted(flag_encrypted(data, "a.txt"), "b.txt")
    with pytest.raises(EncryptedFileError) as err:
        ZipExtractor().extract(data, make_ctx())
    assert err.value.code == "encrypted_file"


def test_truncated_zip_is_corrupt() -> None:
    data = make_zip({"a.txt": os.urandom(4000), "b.txt": b"hello"})
    with pytest.raises(CorruptFileError) as err:
        ZipExtractor().extract(data[: len(data) // 2], make_ctx())
    assert err.value.code == "corrupt_file"


def test_damaged_member_data_is_a_warning() -> None:
    data = bytearray(make_zip({"a.txt": b"hello world " * 50, "b.txt": f"Mail {EMAIL}".encode()}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("a.txt")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 2 : start + 8] = b"\xff" * 6
    ctx = make_ctx()
    out = ZipExtractor().extract(bytes(data), ctx)
    assert [s.origin for s in out.segments] == ["b.txt"]
    assert [(w.code, w.origin) for w in ctx.warnings] == [("corrupt_file", "a.txt")]


def test_unsafe_names_are_never_scanned_or_reported() -> None:
    data = make_zip({"../evil.txt": b"escape", "/abs.txt": b"root", "ok.txt": b"fine"})
    ctx = make_ctx()
    out = ZipExtractor().extract(data, ctx)
    assert [s.origin for s in out.segments] == ["ok.txt"]
    assert [(w.code, w.origin) for w in ctx.warnings] == [(UNSAFE_PATH, None), (UNSAFE_PATH, None)]


def test_empty_archive_has_no_pages() -> None:
    out = ZipExtractor().extract(make_zip({}), make_ctx())
    assert out.pages == 0 and out.segments == []


def test_docx_inside_a_zip() -> None:
    from docx import Document

    doc = Document()
    doc.sections[0].header.paragraphs[0].text = f"From {EMAIL}"
    doc.add_paragraph("Body text.")
    buf = io.BytesIO()
    doc.save(buf)
    out = ZipExtractor().extract(make_zip({"letters/letter.docx": buf.getvalue()}), make_ctx())
    segments = by_origin(out)
    assert segments["letters/letter.docx"].text == "Body text."
    assert segments["letters/letter.docx/word/header1.xml"].text == f"From {EMAIL}"
