"""ZIP archives: every member is sniffed and scanned like an upload of its own.

An archive is the classic way to smuggle a decompression bomb past an upload
check, so the limits are enforced twice: once from the central directory before
any member is inflated (cheap, catches honest bombs), and again while reading,
counting the bytes that really come out (catches archives whose directory lies).
Nothing is ever written to disk, so hostile member names cannot escape anywhere;
they are still skipped so that reports never carry them.

The same limits guard OOXML files (they are ZIP archives too): :mod:`.office`
uses :func:`check_zip_limits`, :class:`ZipReader` and :func:`scan_member`.
"""

from __future__ import annotations

import io
import lzma
import stat
import struct
import zipfile
import zlib
from typing import ClassVar

from piiscan.scanner import sniff
from piiscan.scanner.errors import (
    ArchiveLimitError,
    CorruptFileError,
    EncryptedFileError,
    FileTooLargeError,
    ScanError,
    UnsupportedTypeError,
)
from piiscan.scanner.extract.base import ExtractContext, Warning_
from piiscan.scanner.model import Extraction
from piiscan.settings import Settings

_CHUNK = 64 * 1024
_RATIO_MIN_BYTES = 1024 * 1024
"""Members smaller than this are exempt from the ratio check: a few KiB of repetitive
XML or CSV compresses past 100:1 without being a bomb, and the total-size limit
still bounds what tiny members can expand to."""
_ZIP_OPEN_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, KeyError, IndexError)
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, struct.error)
UNSAFE_PATH = "unsafe_member_path"
"""Warning code for members with absolute or ``..`` names (never extracted)."""


def open_zip(data: bytes) -> zipfile.ZipFile:
    """Open ``data`` as a ZIP, turning every parser failure into :class:`CorruptFileError`."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_OPEN_ERRORS as exc:
        raise CorruptFileError(f"The ZIP structure cannot be read ({type(exc).__name__})") from None


def check_zip_limits(zf: zipfile.ZipFile, settings: Settings, depth: int) -> list[zipfile.ZipInfo]:
    """Refuse an archive from its central directory alone; return its file members.

    Runs before any member is inflated, so a bomb costs only the directory parse.
    ``depth`` is how deep this archive sits inside others (0 for an upload).
    """
    if depth >= settings.zip_max_depth:
        raise ArchiveLimitError(f"Archives are nested {depth + 1} levels deep; the limit is {settings.zip_max_depth}")
    infos = zf.infolist()
    if len(infos) > settings.zip_max_members:
        raise ArchiveLimitError(f"The archive has {len(infos)} entries; the limit is {settings.zip_max_members}")
    members = [info for info in infos if not info.is_dir()]
    total = sum(info.file_size for info in members)
    if total > settings.zip_max_total_bytes:
        raise ArchiveLimitError(f"The archive expands to {total} bytes; the limit is {settings.zip_max_total_bytes}")
    for info in members:
        _check_ratio(info.file_size, info.compress_size, settings)
    return members


def _check_ratio(expanded: int, compressed: int, settings: Settings) -> None:
    if expanded < _RATIO_MIN_BYTES:
        return
    ratio = expanded / max(compressed, 1)
    if ratio > settings.zip_max_ratio:
        raise ArchiveLimitError(
            f"A member expands {ratio:.0f} times its compressed size; the limit is {settings.zip_max_ratio:g}"
        )


def is_encrypted(info: zipfile.ZipInfo) -> bool:
    return bool(info.flag_bits & 0x1)


def is_safe_name(name: str) -> bool:
    """False for absolute, drive-letter or ``..`` names: the zip-slip shapes."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return False
    return ".." not in normalized.split("/") and "\x00" not in normalized


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


class ZipReader:
    """Reads members in chunks, counting the bytes that really come out against the limits.

    One reader per archive: the running total spans all members, so many small
    members cannot add up past ``zip_max_total_bytes`` either.
    """

    def __init__(self, zf: zipfile.ZipFile, settings: Settings) -> None:
        self._zf = zf
        self._settings = settings
        self.total = 0

    def read(self, info: zipfile.ZipInfo) -> bytes:
        settings = self._settings
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zf.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    size += len(chunk)
                    self.total += len(chunk)
                    if self.total > settings.zip_max_total_bytes:
                        raise ArchiveLimitError(f"The archive expands past {settings.zip_max_total_bytes} bytes")
                    if size > info.file_size:
                        raise CorruptFileError("A member inflates past the size its directory entry declares")
                    _check_ratio(size, info.compress_size, settings)
                    chunks.append(chunk)
        except RuntimeError:  # zipfile's "password required"
            raise EncryptedFileError("The member is password-protected") from None
        except NotImplementedError:
            raise UnsupportedTypeError("The member uses an unsupported compression method") from None
        except _ZIP_READ_ERRORS as exc:
            raise CorruptFileError(f"The member cannot be inflated ({type(exc).__name__})") from None
        return b"".join(chunks)


def nested_origin(member: str, origin: str | None) -> str:
    """``member/inner`` for a nested segment, without doubling a prefix already there.

    The registry's ``extract_nested`` prefixes origins itself; other dispatchers may not.
    """
    if origin is None or origin == member:
        return member
    if origin.startswith(member + "/"):
        return origin
    return f"{member}/{origin}"


def scan_member(
    reader: ZipReader, info: zipfile.ZipInfo, ctx: ExtractContext, name: str | None = None
) -> Extraction | None:
    """Read and extract one member; ``None`` (and a warning) when only that member fails.

    :class:`ArchiveLimitError` propagates: a bomb fails the whole container, not a member.
    """
    name = name or info.filename
    if info.file_size > ctx.settings.max_file_bytes:
        _warn(ctx, FileTooLargeError(f"The member is {info.file_size} bytes"), name)
        return None
    first_warning = len(ctx.warnings)
    try:
        data = reader.read(info)
        if not data:
            return Extraction(pages=0)
        nested = ctx.extract_nested(data, name, ctx.child())
    except ArchiveLimitError:
        raise
    except ScanError as exc:
        _warn(ctx, exc, name)
        return None
    for warning in ctx.warnings[first_warning:]:
        warning.origin = nested_origin(name, warning.origin)
    for segment in nested.segments:
        segment.origin = nested_origin(name, segment.origin)
    return nested


def _warn(ctx: ExtractContext, exc: ScanError, origin: str) -> None:
    ctx.warnings.append(Warning_(exc.code, exc.message, origin))


class ZipExtractor:
    """Scans each member of a ZIP; one bad member is a warning, a limit breach fails the archive."""

    media_types: ClassVar[frozenset[str]] = frozenset({sniff.ZIP})

    def extract(self, data: bytes, ctx: ExtractContext) -> Extraction:
        with open_zip(data) as zf:
            members = check_zip_limits(zf, ctx.settings, ctx.depth)
            if members and all(is_encrypted(info) for info in members):
                raise EncryptedFileError("Every member of the archive is password-protected")
            reader = ZipReader(zf, ctx.settings)
            out = Extraction(pages=0)
            for info in members:
                name = info.filename
                if not is_safe_name(name):
                    ctx.warnings.append(
                        Warning_(UNSAFE_PATH, "A member with an absolute or '..' path was skipped", None)
                    )
                    continue
                if _is_symlink(info):
                    continue  # its "content" is a link target, not a file
                if is_encrypted(info):
                    _warn(ctx, EncryptedFileError("The member is password-protected; it was skipped"), name)
                    continue
                nested = scan_member(reader, info, ctx, name)
                if nested is None:
                    continue
                out.pages += 1
                out.ocr_pages += nested.ocr_pages
                out.segments.extend(nested.segments)
                out.images.extend(nested.images)
        return out
