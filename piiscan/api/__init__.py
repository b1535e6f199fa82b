"""The HTTP API: the upload hook and the scans, documented at /docs (OpenAPI at /openapi.json)."""

from __future__ import annotations

from piiscan.api.app import create_app

__all__ = ["create_app"]
