"""Answers written by orjson are what Flask's `json` provider would answer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given
from hypothesis import strategies as st

from hub.representation import FastJSONProvider


def _apps() -> tuple[Flask, Flask]:
    fast, plain = Flask("fast"), Flask("plain")
    fast.json = FastJSONProvider(fast)
    plain.json = DefaultJSONProvider(plain)
    for app in (fast, plain):
        app.json.ensure_ascii = False  # type: ignore[attr-defined]
        app.json.sort_keys = False  # type: ignore[attr-defined]
    return fast, plain


def _answer(app: Flask, value: Any) -> bytes:
    with app.app_context():
        return app.json.response(value).get_data()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(JSON)
def test_same_bytes_as_flask_for_float_free_json(value: Any) -> None:
    fast, plain = _apps()
    assert _answer(fast, value) == _answer(plain, value)


@pytest.mark.parametrize("value", [
    {"big": 2**70}, {"when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}, {"id": uuid.UUID(int=7)},
    {1: "an int key"}])
def test_values_orjson_cannot_write_alike_go_to_json(value: Any) -> None:
    fast, plain = _apps()
    assert json.loads(_answer(fast, value)) == json.loads(_answer(plain, value))
