"""Liveness and readiness probes."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)

# The store's client retries a lost connection for most of a minute; a probe answers sooner.
PROBE_SECONDS = 3.0
_prober = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
_running: dict[str, Future[Any]] = {}
_lock = threading.Lock()


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """The process is up."""
    return {"status": "ok"}, 200


def _store_probe() -> Future[Any]:
    """The probe in flight, or a new one: a hung store never piles up probe threads."""
    with _lock:
        probe = _running.get("store")
        if probe is None or probe.done():
            application = current_app.extensions["hub"].app
            probe = _running["store"] = _prober.submit(application.recorder.max_notification_id)
    return probe


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """The store answers a query within PROBE_SECONDS."""
    try:
        _store_probe().result(timeout=PROBE_SECONDS)
    except Exception:  # noqa: BLE001 - any store failure or a timeout means "not ready"
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
