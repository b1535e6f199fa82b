"""Moderation access beyond the matrix (tests/service/test_authz_matrix.py): public reports, hashed tokens."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from piiscan.store.db import Database

H = dict[str, dict[str, str]]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "white").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()
ROLES = ("anonymous", "hook", "reviewer", "other_reviewer", "admin")


def test_report_creation_needs_no_token(api: TestClient, role_headers: H) -> None:
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    response = api.post("/v1/reports", json={"url": "s3://uploads/none", "category": "illegal", "description": "x"})
    assert response.status_code == 404  # reached the lookup: no 401 without a token


def test_tokens_are_stored_as_keyed_hashes(db: Database, role_headers: H) -> None:
    from sqlalchemy import select

    from piiscan.store.models import Principal

    tokens = [h["Authorization"].removeprefix("Bearer ") for h in role_headers.values() if h]
    with db.session() as session:
        rows = list(session.scalars(select(Principal)))
    assert {p.name for p in rows} >= {"ada", "bo", "cy", "dee"}
    assert all(len(p.token_hash) == 64 and p.token_hash not in tokens for p in rows)
    assert all(t not in str(p.__dict__) for p in rows for t in tokens)
