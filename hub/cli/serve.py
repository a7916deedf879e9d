"""`hub serve`: the REST API under gunicorn (workers × threads); background jobs run once, apart."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from adapters.settings import Settings
from hub.cli.db import init as db_init
from hub.cli.jobs import run_jobs

# Seconds a worker may take to finish its requests after SIGTERM before it is killed.
GRACEFUL_SECONDS = 30


# Tables `hub db init` creates on PostgreSQL (workers never create tables there).
REQUIRED_TABLES = ("hub_events", "hub_snapshots", "board_tracking")


def prepare_store(settings: Settings) -> None:
    """SQLite: run `hub db init` now, before any fork. PostgreSQL: refuse unless it was run."""
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
    """Two workers per core: a request spends much of its time waiting on the store."""
    return max(2, 2 * (os.cpu_count() or 1))


def logconfig() -> dict[str, Any]:
    """gunicorn's own messages as JSON lines too (the hub's request lines come from hub.logs)."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "hub.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO",
                                       "propagate": False, "qualname": "gunicorn.error"},
                    "gunicorn.access": {"handlers": [], "level": "INFO", "propagate": False,
                                        "qualname": "gunicorn.access"}},
    }


class JobsSupervisor:
    """Keeps one `hub jobs` process alive beside the gunicorn master (never one per worker).

    A separate process, not threads in the master: the master forks workers, and a forked
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


SUPERVISOR: dict[str, JobsSupervisor] = {}


def on_starting(server: Any) -> None:
    """gunicorn master hook for `gunicorn -c deploy/gunicorn.conf.py` (`hub serve` does it first)."""
    prepare_store(Settings.from_env())


def when_ready(server: Any) -> None:
    """gunicorn master hook: start the background jobs once, unless `--no-jobs`."""
    if os.environ.get("HUB_JOBS", "on") == "off":
        return
    SUPERVISOR["jobs"] = JobsSupervisor()
    SUPERVISOR["jobs"].start()


def on_exit(server: Any) -> None:
    """gunicorn master hook: stop the background jobs after the workers have stopped."""
    if "jobs" in SUPERVISOR:
        SUPERVISOR.pop("jobs").stop()


class HubServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured in code; each worker builds its own app after the fork."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:  # gunicorn ≥ 25: one path per host
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from hub.app import create_app

        return create_app()


def server_options(host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn settings of `hub serve` (deploy/gunicorn.conf.py mirrors them)."""
    return {
        "bind": f"{host}:{port}", "workers": workers, "threads": threads,
        "worker_class": "gthread", "timeout": 60, "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": 5, "preload_app": False, "proc_name": "hub", "accesslog": None,
        "logconfig_dict": logconfig(), "when_ready": when_ready, "on_exit": on_exit,
        "forwarded_allow_ips": os.environ.get("HUB_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="HUB_HOST")
@click.option("--port", default=8000, show_default=True, type=int, envvar="HUB_PORT")
@click.option("--workers", type=click.IntRange(1), envvar="HUB_WORKERS",
              help="Worker processes [default: 2 per core].")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1),
              envvar="HUB_THREADS", help="Threads per worker.")
@click.option("--jobs/--no-jobs", default=True, show_default=True,
              help="Run the background jobs (SLA sweep, ...) beside the server.")
def serve(host: str, port: int, workers: int | None, threads: int, jobs: bool) -> None:
    """Serve the REST API and the web pages with gunicorn (several workers and threads)."""
    prepare_store(Settings.from_env())
    os.environ["HUB_JOBS"] = "on" if jobs else "off"
    import hub.app  # noqa: F401 - import once in the master (no connections): workers fork ready
    HubServer(server_options(host, port, workers or default_workers(), threads)).run()


@click.command()
def jobs() -> None:
    """Run the background jobs in the foreground until SIGTERM (`hub serve` starts this itself)."""
    run_jobs(Settings.from_env())


COMMANDS = [serve, jobs]
