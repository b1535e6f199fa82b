"""Shared fixtures: one real Scanner per test process (Presidio and Tesseract load once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "peer"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def scanner(settings: Settings) -> Scanner:
    s = Scanner(settings)
    s.warm_up()
    return s


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "SOURCES.md").exists():
        pytest.skip("the peer corpus (../shared/corpus/peer) is not beside this checkout")
    return CORPUS
