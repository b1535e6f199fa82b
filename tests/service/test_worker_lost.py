"""Late acknowledgement: a worker process killed in the middle of a scan does not lose the scan."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from piiscan.store.db import Database
from piiscan.store.models import Scan
from piiscan.synth.render import image_pdf, text_image

from .faults import outcome


def children(pid: int) -> list[int]:
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the fields after the command name (which may hold spaces) start with the state, then the ppid
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def test_killed_worker_process_scan_is_delivered_again(
    api: TestClient,
    auth: dict[str, str],
    s3: Any,
    db: Database,
    worker_pid: int,
    receiver: Any,
    make_event: Callable[..., dict[str, Any]],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    lines = [f"Line {i}: please call Maria Weber on +49 30 1234 5{i:03d} about the order." for i in range(30)]
    pdf = image_pdf([text_image(lines, font_size=22) for _ in range(3)])  # scanned pages: seconds of OCR
    key = unique_key("scanned.pdf")
    put = s3.put_object(Bucket="uploads", Key=key, Body=pdf)
    scan_id = api.post("/v1/hook/s3-events", json=make_event("uploads", key, version_id=put["VersionId"]), headers=auth)
    scan_id = scan_id.json()["scans"][0]["scan_id"]

    def running() -> bool:
        with db.session() as session:
            scan = session.get(Scan, scan_id)
            return scan is not None and scan.status == "running"

    wait(running, "the scan to start", every=0.02)
    pool = children(worker_pid)
    assert pool, "the worker has no pool process"
    for pid in pool:
        os.kill(pid, signal.SIGKILL)

    def finished() -> tuple[str, int, int] | None:
        with db.session() as session:
            scan = session.get(Scan, scan_id)
            if scan is None or scan.status not in ("done", "failed"):
                return None
            return scan.status, scan.attempts, scan.worker_losses

    status, attempts, losses = wait(finished, "the redelivered scan to finish", timeout=600)
    assert (status, attempts, losses) == ("done", 2, 1)

    def settled() -> dict[str, Any] | None:  # the webhook's delivery recorded: every call has been made
        out = outcome(db, scan_id)
        return out if out and out["deliveries"] and out["deliveries"][0][0] != "pending" else None

    out = wait(settled, "the webhook delivery")
    assert out["verdicts"] == 1 and len(out["deliveries"]) == 1  # scanned twice, decided once
    assert len(receiver.for_scan(scan_id)) == 1
