"""The Celery application: JSON only, late acks, per-task time limits, one queue.

``celery -A piiscan.workers.celery_app worker`` and ``piiscan worker`` start the same app.
"""

from __future__ import annotations

from celery import Celery

from piiscan.settings import Settings, get_settings

SCAN_TASK = "piiscan.scan"
DELIVER_TASK = "piiscan.deliver_webhook"
SWEEP_TASK = "piiscan.sweep"
RESCAN_TASK = "piiscan.rescan"
RETENTION_TASK = "piiscan.retention"
SWEEP_EVERY_S = 60.0
RETENTION_EVERY_S = 3600.0


def make_celery(settings: Settings) -> Celery:
    app = Celery("piiscan", broker=settings.broker_url, include=["piiscan.workers.tasks"])
    soft = max(settings.task_time_limit_s - 10, 5)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        event_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        # A message is acknowledged after its task ran: a killed worker's scan is delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=soft,
        task_default_queue=settings.task_queue,
        task_default_exchange=settings.task_queue,
        task_default_routing_key=settings.task_queue,
        # Redis re-delivers unacknowledged messages after this long: longer than any task may run.
        broker_transport_options={"visibility_timeout": max(3600, settings.task_time_limit_s * 2)},
        broker_connection_retry_on_startup=True,
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
        # A new pool process warms Presidio, spaCy, Tesseract and the abuse model before it reports
        # for work; Celery's 4 s default killed it mid warm-up on a loaded machine, again and again.
        worker_proc_alive_timeout=settings.worker_warm_up_timeout_s,
        worker_send_task_events=False,
        timezone="UTC",
        beat_schedule={
            "sweep": {"task": SWEEP_TASK, "schedule": SWEEP_EVERY_S, "options": {"queue": settings.task_queue}},
            "retention": {
                "task": RETENTION_TASK,
                "schedule": RETENTION_EVERY_S,
                "options": {"queue": settings.task_queue},
            },
        },
    )
    return app


app = make_celery(get_settings())
