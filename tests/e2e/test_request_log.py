"""One JSON line per request: its id (sent or made), method, path, status, duration and the
caller; never the body, the query string or the token."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from hub.logs import JsonFormatter
from tests.e2e.hubclient import World


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def lines() -> Iterator[list[dict[str, Any]]]:
    handler = Lines()
    logging.getLogger("hub.access").addHandler(handler)
    yield handler.lines
    logging.getLogger("hub.access").removeHandler(handler)


def test_each_request_writes_one_line(client: Any, lines: list[dict[str, Any]]) -> None:
    world = World(client).build()
    del lines[:]
    created = world.submit(headers={"X-Request-Id": "from-the-caller"})
    page = world.page("receiver", box="inbox", q="secret-query")
    assert created.headers["X-Request-Id"] == "from-the-caller"
    assert page.status_code == 422  # `q` is no filter: refused, and its value still not logged
    first, second = lines
    assert {k: v for k, v in first.items() if k not in ("time", "pid", "duration_ms")} == {
        "level": "INFO", "logger": "hub.access", "message": "request",
        "request_id": "from-the-caller", "method": "POST", "path": "/api/v1/referrals",
        "status": 201, "agency": "school-a", "user": "referrer", "role": "staff"}
    assert first["time"].endswith("Z") and 0 < first["duration_ms"] < 60_000
    assert second["request_id"] == page.headers["X-Request-Id"] and len(second["request_id"]) == 32
    assert second["path"] == "/api/v1/referrals" and second["user"] == "receiver"
    assert second["status"] == 422
    text = json.dumps(lines)
    assert "secret-query" not in text and "Bearer" not in text and "示例" not in text
