"""Signed webhooks.

Every call carries ``X-Piiscan-Signature: t=<unix seconds>,v1=<hex>`` where ``hex`` is
HMAC-SHA256 with the webhook secret over ``<t>.<raw body>``. A receiver recomputes it,
compares in constant time and refuses timestamps older than a few minutes (replays).
``X-Piiscan-Event`` names the event and ``X-Piiscan-Delivery`` is the delivery id (the same
on every retry, for the receiver's own dedupe).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx

SIGNATURE_HEADER = "X-Piiscan-Signature"
EVENT_HEADER = "X-Piiscan-Event"
DELIVERY_HEADER = "X-Piiscan-Delivery"
DEFAULT_TOLERANCE_S = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body`` at ``timestamp`` (now by default)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(
    secret: str, header: str | None, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None
) -> bool:
    """True when ``header`` is a valid, fresh signature of ``body``."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(name, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - t) > tolerance_s:
        return False
    expected = sign(secret, body, t).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", []))


@dataclass(frozen=True, slots=True)
class PostOutcome:
    ok: bool
    status_code: int | None
    error: str | None


def post(url: str, body: bytes, secret: str, event: str, delivery_id: str, timeout_s: float) -> PostOutcome:
    """One signed POST; redirects are not followed (a moved receiver is a failed delivery)."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "piiscan-webhook/1",
        SIGNATURE_HEADER: sign(secret, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        return PostOutcome(False, None, f"{type(exc).__name__}: the receiver could not be reached")
    if 200 <= response.status_code < 300:
        return PostOutcome(True, response.status_code, None)
    return PostOutcome(False, response.status_code, f"the receiver answered HTTP {response.status_code}")
