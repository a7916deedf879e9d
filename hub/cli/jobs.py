"""`hub jobs`: the hub's background jobs, each in a supervised thread of ONE process."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from typing import Any, Protocol

from adapters.read_models import open_boards
from adapters.settings import Settings
from adapters.sla import SlaSweeper
from adapters.storage import open_application
from domain.application import HubApplication

log = logging.getLogger("hub.jobs")

# Background jobs as "module:factory"; factory(settings, application) -> Job.
JOBS: list[str] = ["hub.cli.jobs:projections_job", "hub.cli.jobs:sla_job",
                   "adapters.auditor:checkpoint_job"]


class Job(Protocol):
    """A loop that runs until `stop` is set."""

    def run(self, stop: threading.Event) -> None: ...


class ProjectionsJob:
    """Keeps every read model at the head of the store (the one runner per projection)."""

    def __init__(self, settings: Settings, application: HubApplication) -> None:
        self.boards = open_boards(settings, application)

    def run(self, stop: threading.Event) -> None:
        self.boards.start()
        try:
            stop.wait()
        finally:
            self.boards.close()


def projections_job(settings: Settings, application: HubApplication) -> ProjectionsJob:
    return ProjectionsJob(settings, application)


def sla_job(settings: Settings, application: HubApplication) -> SlaSweeper:
    """Escalates overdue referrals every HUB_SLA_SWEEP_SECONDS (default 60)."""
    return SlaSweeper(settings, application, open_boards(settings, application).referrals)


def _factory(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def supervise(spec: str, settings: Settings, application: HubApplication,
              stop: threading.Event) -> None:
    """Run one job; when it fails, log it and start it again after a pause."""
    backoff = 1.0
    while not stop.is_set():
        try:
            _factory(spec)(settings, application).run(stop)
            backoff = 1.0
        except Exception:
            log.exception("job %s failed; restarting it", spec)
        stop.wait(backoff)
        backoff = min(backoff * 2, 60.0)


def run_jobs(settings: Settings, jobs: list[str] | None = None) -> None:
    """Run every job until SIGTERM/SIGINT, or until the process that started us is gone."""
    from hub import logs

    logs.configure(settings.log_level)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    application = open_application(settings)
    threads = [threading.Thread(target=supervise, args=(spec, settings, application, stop),
                                name=spec, daemon=True) for spec in (JOBS if jobs is None else jobs)]
    for thread in threads:
        thread.start()
    log.info("jobs started: %s", ", ".join(t.name for t in threads) or "none")
    while not stop.wait(1.0):
        if os.getppid() != parent:  # `hub serve`'s main process died (kill -9): do not linger
            stop.set()
    for thread in threads:
        thread.join(timeout=30)
    application.close()
    log.info("jobs stopped")
