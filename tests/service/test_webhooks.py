"""The webhook signature: HMAC-SHA256 over '<t>.<body>', in X-Piiscan-Signature: t=<unix>,v1=<hex>."""

from __future__ import annotations

import hashlib
import hmac

from piiscan.workers.webhooks import sign, verify

SECRET = "a-long-random-webhook-secret"
BODY = b'{"event":"scan.completed","scan_id":"abc"}'


def test_header_format_and_value() -> None:
    header = sign(SECRET, BODY, timestamp=1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_fresh_and_refuses_tampered_stale_or_foreign() -> None:
    header = sign(SECRET, BODY, timestamp=1_700_000_000)
    assert verify(SECRET, header, BODY, now=1_700_000_100)
    assert not verify(SECRET, header, BODY + b" ", now=1_700_000_100)
    assert not verify("another-secret", header, BODY, now=1_700_000_100)
    assert not verify(SECRET, header, BODY, now=1_700_000_000 + 301)
    assert not verify(SECRET, None, BODY)
    assert not verify(SECRET, "v1=deadbeef", BODY)
    assert not verify(SECRET, "t=abc,v1=00", BODY)


def test_verify_accepts_any_of_several_signatures_during_secret_rotation() -> None:
    old = sign("old-secret-value-123", BODY, timestamp=1_700_000_000)
    new = sign(SECRET, BODY, timestamp=1_700_000_000)
    header = f"{new},v1={old.split('v1=')[1]}"
    assert verify(SECRET, header, BODY, now=1_700_000_000)
    assert verify("old-secret-value-123", header, BODY, now=1_700_000_000)
