"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """The process is up."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """The store answers a query."""
    application = current_app.extensions["hub"].app
    try:
        application.recorder.max_notification_id()
    except Exception:  # noqa: BLE001 - any store failure means "not ready"
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
