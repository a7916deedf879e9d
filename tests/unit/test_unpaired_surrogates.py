"""Where a parsed JSON value holds text that is not Unicode."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.problems import unpaired_surrogate


@pytest.mark.parametrize("value,path", [
    ({"a": "fine", "b": {"c": ["x", "\ud800"]}}, "b.c.1"),
    ({"\udfff": 1}, "\\udfff"),
    ({"a": {"k\ud83d": None}}, "a.k\\ud83d"),
    ("\udc00", "_body"),
    (["ok", {"n": "\ud800"}], "1.n"),
])
def test_the_first_key_or_string_at_fault_is_named(value: Any, path: str) -> None:
    found = unpaired_surrogate(value)
    assert found == path
    found.encode("utf-8")  # a path can always be sent


@pytest.mark.parametrize("value", [
    {"a": "李 😀 \U0001F600", "b": [1, 2.5, None, True], "c": {}}, [], "plain", 42, None])
def test_unicode_text_has_no_fault(value: Any) -> None:
    assert unpaired_surrogate(value) is None
