"""The reuse key of a scan that may stop early differs from a full scan's; a full scan's is unchanged."""

from __future__ import annotations

from piiscan.rules.context import ScanContext, Uploader
from piiscan.workers.jobs import context_key


def test_stop_at_critical_has_its_own_key() -> None:
    context = ScanContext(uploader=Uploader(name="Clara Jensen", emails=("clara@example.com",)), visibility="public")
    full = context_key(context, "k" * 32)
    assert full == context_key(context, "k" * 32, stop_at_critical=False)
    assert context_key(context, "k" * 32, stop_at_critical=True) != full
