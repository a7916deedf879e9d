"""Problem documents (RFC 9457) for domain errors: one mapping for the REST API and Kafka results."""

from __future__ import annotations

from typing import Any

from domain import errors
from domain.chain import not_unicode

TYPE_BASE = "https://referral-hub.invalid/problems/"

# The contract's error table: each domain error's status and problem type.
STATUS_OF: list[tuple[type[errors.HubError], int, str]] = [
    (errors.NotAuthenticated, 401, "unauthorized"),
    (errors.NotPermitted, 403, "forbidden"),
    (errors.NotFound, 404, "not-found"),
    (errors.InvalidTransition, 409, "invalid-transition"),
    (errors.Conflict, 409, "conflict"),
    (errors.VersionMismatch, 412, "version-mismatch"),
    (errors.Invalid, 422, "validation"),
]

INTERNAL = (500, "Internal Server Error", "An unexpected error occurred.", "internal")


def problem_document(status: int, title: str, detail: str, kind: str | None = None,
                     **extra: Any) -> dict[str, Any]:
    """`{type, title, status, detail, …}`."""
    return {"type": TYPE_BASE + (kind or str(status)), "title": title, "status": status,
            "detail": detail, **extra}


def domain_problem(error: errors.HubError) -> dict[str, Any]:
    """The problem document a domain error stands for (its class's docstring is the title)."""
    for cls, status, kind in STATUS_OF:
        if isinstance(error, cls):
            title = (cls.__doc__ or kind).strip().split("\n")[0]
            return problem_document(status, title, error.detail, kind, **_extra(error))
    return problem_document(*INTERNAL)


def _extra(error: errors.HubError) -> dict[str, Any]:
    if isinstance(error, errors.InvalidTransition):
        return {"current_status": error.status, "allowed_actions": error.allowed}
    if isinstance(error, errors.Invalid):
        return {"errors": error.errors}
    if isinstance(error, errors.VersionMismatch):
        return {"current_version": error.current}
    return {}


NOT_UNICODE = ("Must be Unicode text: it holds an unpaired UTF-16 surrogate (a \\ud800-\\udfff "
               "escape without its pair), which cannot be stored or sent as UTF-8.")
MAX_DEPTH = 32  # no body of the contract nests deeper than 4
TOO_DEEP = f"Nested deeper than {MAX_DEPTH} levels of objects and arrays."


def json_problem(value: Any, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """(dotted path, message) of the first place, in document order, where a parsed JSON value
    holds text that is not Unicode (a key or a string) or nests deeper than `max_depth`; None
    when there is none. A list item's path ends in its index; the whole value's is `_body`; a
    key at fault is written with its surrogate as the escape `\\udXXX`. Iterative: a deep
    value cannot exhaust the interpreter's stack here."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if not_unicode(item):
                return path or "_body", NOT_UNICODE
            continue
        if isinstance(item, dict):
            children = list(item.items())
        elif isinstance(item, list):
            children = list(enumerate(item))
        else:
            continue
        if depth >= max_depth:
            return path or "_body", TOO_DEEP
        below = []
        for key, child in children:
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not_unicode(key):
                return name.encode("utf-8", "backslashreplace").decode(), NOT_UNICODE
            below.append((child, name, depth + 1))
        stack.extend(reversed(below))
    return None


def suspect_json(data: bytes) -> bool:
    """Whether raw JSON may hold what `json_problem` finds: an unpaired surrogate comes only
    from a \\u escape or UTF-8-encoded surrogate bytes, and depth needs brackets."""
    return (b"\\u" in data or b"\xed" in data
            or data.count(b"{") + data.count(b"[") > MAX_DEPTH)
