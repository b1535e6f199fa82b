"""What the reviewer-page tests share: the bearer token of role headers and the CSRF token of a page."""

from __future__ import annotations

import re


def bearer_token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def csrf_token(html: str) -> str:
    """The CSRF token the page's forms carry (every form of a session has the same one)."""
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)
