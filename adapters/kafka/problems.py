"""Problem documents (RFC 9457) for commands' results, the same shape the REST API answers with."""

from __future__ import annotations

from typing import Any

from domain import errors

TYPE_BASE = "https://referral-hub.invalid/problems/"

# The contract's error table, as hub/errors.py maps it for HTTP.
STATUS_OF: list[tuple[type[errors.HubError], int, str]] = [
    (errors.NotAuthenticated, 401, "unauthorized"),
    (errors.NotPermitted, 403, "forbidden"),
    (errors.NotFound, 404, "not-found"),
    (errors.InvalidTransition, 409, "invalid-transition"),
    (errors.Conflict, 409, "conflict"),
    (errors.VersionMismatch, 412, "version-mismatch"),
    (errors.Invalid, 422, "validation"),
]


class Malformed(Exception):
    """The message is not a JSON object: nothing in it can be trusted, not even its command id."""


def problem(status: int, title: str, detail: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": TYPE_BASE + kind, "title": title, "status": status, "detail": detail,
            **extra}


def problem_of(error: Exception) -> dict[str, Any]:
    """The problem document for an error raised while handling a command."""
    if isinstance(error, Malformed):
        return problem(400, "Bad Request", str(error), "400")
    for cls, status, kind in STATUS_OF:
        if isinstance(error, cls):
            return problem(status, (cls.__doc__ or kind).strip().split("\n")[0],
                           str(error), kind, **_extra(error))
    return problem(500, "Internal Server Error", "An unexpected error occurred.", "internal")


def _extra(error: Exception) -> dict[str, Any]:
    if isinstance(error, errors.InvalidTransition):
        return {"current_status": error.status, "allowed_actions": error.allowed}
    if isinstance(error, errors.Invalid):
        return {"errors": error.errors}
    if isinstance(error, errors.VersionMismatch):
        return {"current_version": error.current}
    return {}
