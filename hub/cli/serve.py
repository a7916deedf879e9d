"""`hub serve`: the REST API under granian (workers × threads); background jobs run once, apart."""

from __future__ import annotations

import logging
import logging.config
import os
import subprocess
import sys
import threading
import time
from typing import Any

import click

from adapters.settings import Settings
from adapters.storage import cipher_key
from hub.cli.db import init as db_init
from hub.cli.jobs import run_jobs

# Seconds a worker may take to finish its requests after SIGTERM before it is killed.
GRACEFUL_SECONDS = 30


# Tables `hub db init` creates on PostgreSQL (workers never create tables there).
REQUIRED_TABLES = ("hub_events", "hub_snapshots", "board_tracking")


def prepare_store(settings: Settings) -> None:
    """SQLite: run `hub db init` now, before any fork. PostgreSQL: refuse unless it was run,
    and without HUB_CIPHER_KEY (each worker failed with a traceback at its start)."""
    cipher_key(settings)  # SettingsError naming what to set: `hub` prints it and exits 2
    if settings.is_sqlite:
        db_init.callback()  # exactly `hub db init`
        return
    import psycopg

    params = settings.postgres_params()
    try:
        with psycopg.connect(connect_timeout=10, **params) as conn:
            missing = [name for name in REQUIRED_TABLES
                       if conn.execute("SELECT to_regclass(%s)", (name,)).fetchone() == (None,)]
    except psycopg.OperationalError as error:
        raise click.ClickException(
            f"Cannot reach PostgreSQL database {params['dbname']!r} at {params['host']}:"
            f"{params['port']}: {str(error).strip()}") from None
    if missing:
        raise click.ClickException(
            f"PostgreSQL database {params['dbname']!r} has no table {', '.join(missing)}: "
            "run `hub db init` once before `hub serve`.")


def default_workers() -> int:
    """One worker process per core, at least two: each runs `--threads` app threads, which
    cover a request's waits on the store; more processes than cores only contend for the cores
    and the store's write lock (granian, 2 cores, SQLite: 2 workers ~2.6 ms of server CPU per
    submit, 4 workers ~3.5 ms, side by side; docs/benchmarks.md)."""
    return max(2, os.cpu_count() or 1)


def logconfig() -> dict[str, Any]:
    """granian's own messages as JSON lines too (the hub's request lines come from hub.logs)."""
    json_lines = {"handlers": ["stderr"], "level": "INFO", "propagate": False}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "hub.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {"_granian": json_lines, "hub.serve": json_lines,
                    "granian.access": {"handlers": [], "level": "INFO", "propagate": False}},
    }


class JobsSupervisor:
    """Keeps one `hub jobs` process alive beside the server's main process (never one per worker).

    A separate process, not threads in the main process: it forks the workers, and a forked
    worker must not inherit the jobs' database connections.
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._keep_alive, name="hub-jobs", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _keep_alive(self) -> None:
        backoff = 1.0
        while not self.stopping.is_set():
            started = time.monotonic()
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from hub.cli import main; main(['jobs'])"])
            self.process.wait()
            if time.monotonic() - started > 60:
                backoff = 1.0
            self.stopping.wait(backoff)  # a crashing job must not spin the CPU
            backoff = min(backoff * 2, 60.0)

    def stop(self, timeout: float = GRACEFUL_SECONDS) -> None:
        self.stopping.set()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()


def server(host: str, port: int, workers: int, threads: int, jobs: bool) -> Any:
    """granian serving `hub.wsgi:app` with the settings of `hub serve`, and its hooks.

    granian parses HTTP in Rust threads and takes the GIL only to call the app: on this
    project's submit path it cost ~1.6 ms less server CPU per request than gunicorn's gthread
    workers, measured side by side (docs/benchmarks.md). Each worker process builds its own app
    on its first request (hub.wsgi), after the fork; one jobs process runs beside the workers.
    """
    from granian import Granian
    from granian.constants import Interfaces

    granian = Granian(
        "hub.wsgi:app", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
        blocking_threads=threads, websockets=False, log_dictconfig=logconfig(),
        log_access=False, respawn_failed_workers=True, workers_kill_timeout=GRACEFUL_SECONDS,
        process_name="hub")
    if jobs:
        supervisor = JobsSupervisor()
        granian.on_startup(supervisor.start)
        granian.on_shutdown(supervisor.stop)
    granian.on_shutdown(lambda: logging.getLogger("hub.serve").info("hub serve stopped"))
    return granian


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="HUB_HOST")
@click.option("--port", default=8000, show_default=True, type=int, envvar="HUB_PORT")
@click.option("--workers", type=click.IntRange(1), envvar="HUB_WORKERS",
              help="Worker processes [default: 1 per core, at least 2].")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1),
              envvar="HUB_THREADS", help="Threads per worker running the app.")
@click.option("--jobs/--no-jobs", default=True, show_default=True,
              help="Run the background jobs (SLA sweep, ...) beside the server.")
def serve(host: str, port: int, workers: int | None, threads: int, jobs: bool) -> None:
    """Serve the REST API and the web pages with granian (several workers and threads)."""
    prepare_store(Settings.from_env())
    logging.config.dictConfig(logconfig())
    import hub.app  # noqa: F401 - import once in the main process (no connections): workers fork ready
    server(host, port, workers or default_workers(), threads, jobs).serve()


@click.command()
def jobs() -> None:
    """Run the background jobs in the foreground until SIGTERM (`hub serve` starts this itself)."""
    run_jobs(Settings.from_env())


COMMANDS = [serve, jobs]
