"""Structured logs: one JSON line per request, with a request id; never bodies or tokens."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from datetime import UTC, datetime

import orjson
from flask import Flask, Response, g, request

log = logging.getLogger("hub.access")


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object; only whitelisted fields are emitted."""

    FIELDS = ("request_id", "method", "path", "status", "duration_ms", "agency", "user", "role")

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": _utc(record.created), "level": record.levelname,
                "logger": record.name, "pid": record.process, "message": record.getMessage()}
        for name in self.FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = record.exc_info[0].__name__ if record.exc_info[0] else "error"
        return orjson.dumps(line, default=str).decode()


def _utc(created: float) -> str:
    """ISO 8601 in UTC with milliseconds: `2026-11-23T16:47:00.123Z`."""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def configure(level: str = "INFO") -> None:
    """Send the hub's loggers to stderr as JSON lines (idempotent)."""
    root = logging.getLogger("hub")
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def _start() -> None:
    g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    caller = g.get("caller")
    # The path holds ids only (never personal data); the query string is left out on purpose.
    log.info("request", extra={
        "request_id": g.get("request_id"), "method": request.method, "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
        "agency": getattr(caller, "agency", None), "user": getattr(caller, "user", None),
        "role": getattr(caller, "role", None),
    })
    return response


def register(app: Flask) -> None:
    configure(app.extensions["hub"].settings.log_level)
    app.before_request(_start)
    app.after_request(_finish)
