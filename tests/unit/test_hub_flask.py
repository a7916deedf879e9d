"""HubFlask asks once per function whether it is async, and remembers a bounded number."""

from __future__ import annotations

from typing import Any

import pytest

from hub.app import HubFlask


def test_a_function_is_inspected_once(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Any] = []
    monkeypatch.setattr("flask.app.iscoroutinefunction", lambda f: asked.append(f) or False)
    app = HubFlask(__name__)

    @app.get("/")
    def view() -> str:
        return "ok"

    client = app.test_client()
    for _ in range(3):
        assert client.get("/").text == "ok"
    assert asked.count(view) == 1
    assert app.ensure_sync(view) is view  # a plain function is served as it is


def test_the_memory_is_bounded() -> None:
    app = HubFlask(__name__)
    functions = [lambda n=n: n for n in range(app.SYNC_MEMORY * 3)]  # as if one per request
    for function in functions:
        assert app.ensure_sync(function) is function
    assert 0 < len(app._synced) <= app.SYNC_MEMORY
