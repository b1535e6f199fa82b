"""How the API and the tasks start work: Celery messages, or a thread when embedded.

Both run the same task code; the embedded one calls it in-process (``Task.apply``) on a
single background thread, so ``make run`` needs no broker.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from celery import Celery

from piiscan.workers.celery_app import DELIVER_TASK, RESCAN_TASK, SCAN_TASK

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def scan(self, scan_id: str) -> None: ...

    def deliver(self, delivery_id: str, countdown: float = 0) -> None: ...

    def rescan(self, scan_id: str) -> None: ...


class CeleryDispatcher:
    """Sends task messages (ids only) to the broker."""

    def __init__(self, app: Celery, queue: str, priority_queue: str | None = None) -> None:
        self.app = app
        self.queue = queue
        self.priority_queue = priority_queue or f"{queue}.priority"

    def rescan(self, scan_id: str) -> None:
        """On its own queue, which workers consume beside the main one (listed first; Redis and RabbitMQ
        take turns between a worker's queues): a reported upload waits for at most the task in hand,
        not behind the whole backlog of new uploads."""
        self.app.send_task(RESCAN_TASK, args=[scan_id], queue=self.priority_queue)

    def scan(self, scan_id: str) -> None:
        self.app.send_task(SCAN_TASK, args=[scan_id], queue=self.queue)

    def deliver(self, delivery_id: str, countdown: float = 0) -> None:
        self.app.send_task(DELIVER_TASK, args=[delivery_id], queue=self.queue, countdown=countdown or None)


class ThreadDispatcher:
    """Runs the same tasks in this process, one at a time, off the request thread."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="piiscan-worker")

    def _run(self, name: str, arg: str) -> None:
        import piiscan.workers.tasks  # noqa: F401  (registers the tasks)
        from piiscan.workers.celery_app import app

        try:
            app.tasks[name].apply(args=(arg,))
        except Exception as exc:  # the task records its own failures; this only guards the thread
            log.error("embedded task %s(%s) failed (%s)", name, arg, type(exc).__name__)

    def scan(self, scan_id: str) -> None:
        self.executor.submit(self._run, SCAN_TASK, scan_id)

    def deliver(self, delivery_id: str, countdown: float = 0) -> None:
        self.executor.submit(self._run, DELIVER_TASK, delivery_id)

    def rescan(self, scan_id: str) -> None:
        self.executor.submit(self._run, RESCAN_TASK, scan_id)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
