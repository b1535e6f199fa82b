"""The load harness of ``make load`` and ``make bench`` on a tiny run, so it cannot rot.

Real API, real worker, moto's S3 server and the webhook receiver of this test session; the
harness must see every upload reach its verdict exactly once, and must notice when one does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from piiscan.perf import rescan
from piiscan.perf.inputs import uploads
from piiscan.perf.load import environment, run_load
from piiscan.scanner.pipeline import Scanner

from .conftest import TOKEN, Receiver


def _events(receiver: Receiver) -> list[tuple[float, dict[str, Any]]]:
    with receiver.lock:
        return [(call.at, call.json()) for call in receiver.calls]


def test_every_upload_reaches_one_verdict(api: TestClient, s3: Any, receiver: Receiver, worker: str) -> None:
    batch = list(uploads(3, seed=301))
    assert [name.split("-", 1)[1] for name, _ in batch] == ["chat.png", "letter.png", "contract.pdf"]

    result = run_load(api, s3, TOKEN, batch, lambda: _events(receiver), workers=1, timeout_s=180)

    assert result.problems == []
    assert result.exactly_once
    assert len(result.latencies) == 3 and all(latency > 0 for latency in result.latencies)
    assert sum(result.verdicts.values()) == 3 and "error" not in result.verdicts
    assert result.per_minute > 0
    assert result.percentile(0.5) <= result.percentile(0.95) <= max(result.latencies)


def test_a_verdict_announced_twice_is_reported(api: TestClient, s3: Any, receiver: Receiver, worker: str) -> None:
    def doubled() -> list[tuple[float, dict[str, Any]]]:
        events = _events(receiver)
        return events + events[-1:]  # the newest verdict seen twice, as a duplicated delivery would be

    result = run_load(api, s3, TOKEN, list(uploads(1, seed=302)), doubled, workers=1, timeout_s=180)

    assert not result.exactly_once
    assert any("announced 2 times" in problem for problem in result.problems)


def test_the_rescan_figure_measures_reuses(tmp_path: Path, scanner: Scanner) -> None:
    """``make bench``'s rescan_ms: both paths must really reuse, or the figure measures something else."""
    name, data = next(iter(uploads(1, seed=303)))
    with environment(tmp_path) as env:
        fast = rescan.measure(env, data, scanner, repeat=2, checksum=True)
        slow = rescan.measure(env, data, scanner, repeat=2, checksum=False)
    assert fast.outcomes == ["reused", "reused"] and slow.outcomes == ["reused", "reused"], name
    assert fast.download_ms == 0 and slow.download_ms > 0
    assert fast.head_ms > 0 and fast.total_ms > 0
