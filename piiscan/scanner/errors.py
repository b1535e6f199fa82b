"""Typed scan errors.

Every failure a user can cause with an input has its own class with a stable
``code`` and a message that says what to do. They become ``verdict: error``
outcomes at one boundary (:func:`piiscan.scanner.pipeline.Scanner.scan`), so
one bad file never stops a run. Messages never quote file content: they may be
logged.
"""

from __future__ import annotations


class ScanError(Exception):
    """Base of every error an input can cause; ``code`` is part of the report contract."""

    code = "scan_failed"
    hint = "The file could not be scanned; check that it is a supported, intact file."

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.detail}. {self.hint}" if self.detail else self.hint


class EmptyFileError(ScanError):
    code = "empty_file"
    hint = "The file has no bytes; upload it again."


class FileTooLargeError(ScanError):
    code = "file_too_large"
    hint = "Raise PIISCAN_MAX_FILE_BYTES if files this large are expected."


class UnsupportedTypeError(ScanError):
    code = "unsupported_type"
    hint = "Supported: images, PDF, DOCX, XLSX, PPTX, text, CSV, JSON, HTML and ZIP."


class CorruptFileError(ScanError):
    code = "corrupt_file"
    hint = "The file is damaged or truncated; upload an intact copy."


class EncryptedFileError(ScanError):
    code = "encrypted_file"
    hint = "The file is password-protected; upload it without a password to have it scanned."


class ImageTooLargeError(ScanError):
    code = "image_too_large"
    hint = "The image claims more pixels than PIISCAN_MAX_IMAGE_PIXELS allows; resize it."


class ArchiveLimitError(ScanError):
    code = "archive_limit"
    hint = (
        "The archive exceeds a safety limit (depth, member count, expanded size or "
        "compression ratio); split it or raise the PIISCAN_ZIP_* limits."
    )


class OcrTimeoutError(ScanError):
    code = "ocr_timeout"
    hint = "OCR of a page took longer than PIISCAN_OCR_TIMEOUT_S; raise it or reduce the image size."


class OcrUnavailableError(ScanError):
    code = "ocr_unavailable"
    hint = "Tesseract is not installed; run 'apt-get install tesseract-ocr tesseract-ocr-eng'."


class InputNotFoundError(ScanError):
    code = "not_found"
    hint = "Check the path or the s3:// address and its credentials."
