"""What the tasks need, built once per process: settings, database, object store, dispatcher, scanner.

Worker processes build theirs after the fork (``worker_process_init``) and warm the scanner
there, so every task of a process reuses the loaded engines. The embedded API installs its
own with :func:`install_services`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings, get_settings
from piiscan.storage import ObjectStore, make_store
from piiscan.store.db import Database
from piiscan.workers.dispatch import CeleryDispatcher, Dispatcher


@dataclass
class Services:
    settings: Settings
    db: Database
    store: ObjectStore
    dispatcher: Dispatcher
    _scanner: Scanner | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def scanner(self) -> Scanner:
        """The process's scanner, loaded and warmed on first use."""
        with self._lock:
            if self._scanner is None:
                scanner = Scanner(self.settings)
                scanner.warm_up()
                self._scanner = scanner
            return self._scanner

    def use_scanner(self, scanner: Scanner) -> None:
        with self._lock:
            self._scanner = scanner


def build_services(settings: Settings, dispatcher: Dispatcher | None = None) -> Services:
    db = Database.from_settings(settings)
    if settings.auto_migrate:
        db.upgrade()
    if dispatcher is None:
        from piiscan.workers.celery_app import app, make_celery

        celery = app if app.conf.broker_url == settings.broker_url else make_celery(settings)
        dispatcher = CeleryDispatcher(celery, settings.task_queue, settings.priority_queue)
    return Services(settings=settings, db=db, store=make_store(settings), dispatcher=dispatcher)


_installed: tuple[int, Services] | None = None
_installed_lock = threading.Lock()


def install_services(services: Services | None) -> None:
    global _installed
    with _installed_lock:
        _installed = (os.getpid(), services) if services is not None else None


def get_services() -> Services:
    """This process's services (built from the environment's settings on first use after a fork)."""
    global _installed
    with _installed_lock:
        if _installed is None or _installed[0] != os.getpid():
            _installed = (os.getpid(), build_services(get_settings()))
        return _installed[1]
