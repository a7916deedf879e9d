"""Problem documents (RFC 9457) for domain errors: one mapping for the REST API and Kafka results."""

from __future__ import annotations

import re
from typing import Any

from domain import errors

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
_SURROGATE = re.compile("[\ud800-\udfff]")


def unpaired_surrogate(value: Any, path: str = "") -> str | None:
    """The dotted path of the first key or string of a parsed JSON value that holds an unpaired
    surrogate (`json.loads` accepts `"\\ud800"`; nothing can encode it as UTF-8), or None.
    A list item's path ends in its index; the whole value's path is `_body`; a key at fault is
    written with its surrogate as the escape `\\udXXX`."""
    if isinstance(value, str):
        return (path or "_body") if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)  # type: ignore[assignment]
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _SURROGATE.search(key):
            return name.encode("utf-8", "backslashreplace").decode()  # sendable as it reads
        found = unpaired_surrogate(item, name)
        if found is not None:
            return found
    return None
