"""The shape most of piiscan's own recognizers share, so each states only what it finds."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import EntityRecognizer


class OwnRecognizer(EntityRecognizer):
    """One entity type, patterns compiled at import (nothing to load), named after the class."""

    ENTITY: ClassVar[str]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY], supported_language=supported_language, name=type(self).__name__
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""
