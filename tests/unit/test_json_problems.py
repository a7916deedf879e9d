"""Where a parsed JSON value holds text that is not Unicode, or nests too deeply."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.problems import NOT_UNICODE, TOO_DEEP, json_problem


@pytest.mark.parametrize("value,path", [
    ({"a": "fine", "b": {"c": ["x", "\ud800"]}}, "b.c.1"),
    ({"\udfff": 1}, "\\udfff"),
    ({"a": {"k\ud83d": None}}, "a.k\\ud83d"),
    ("\udc00", "_body"),
    (["ok", {"n": "\ud800"}], "1.n"),
])
def test_the_first_key_or_string_at_fault_is_named(value: Any, path: str) -> None:
    assert json_problem(value) == (path, NOT_UNICODE)
    path.encode("utf-8")  # a path can always be sent


@pytest.mark.parametrize("value", [
    {"a": "李 😀 \U0001F600", "b": [1, 2.5, None, True], "c": {}}, [], "plain", 42, None])
def test_unicode_text_has_no_fault(value: Any) -> None:
    assert json_problem(value) is None


def test_the_first_fault_in_document_order_is_named() -> None:
    assert json_problem({"a": ["x", {"b": "\ud800"}], "c": "\udc00"}) == ("a.1.b", NOT_UNICODE)


def test_depth_is_limited_without_recursion() -> None:
    deep: Any = "leaf"
    for _ in range(100_000):  # far beyond the interpreter's recursion limit
        deep = {"k": deep}
    path, message = json_problem({"subject": deep})  # type: ignore[misc]
    assert message == TOO_DEEP and path == "subject" + ".k" * 31
    assert json_problem({"a": [[[{"b": 1}]]]}, max_depth=5) is None
    assert json_problem({"a": [[[{"b": 1}]]]}, max_depth=4) == ("a.0.0.0", TOO_DEEP)
