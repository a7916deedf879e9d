"""Problem documents (RFC 9457) for commands' results, the same shape the REST API answers with."""

from __future__ import annotations

from typing import Any

from adapters.problems import INTERNAL, domain_problem, problem_document
from domain import errors


class Malformed(Exception):
    """The message is not a JSON object: nothing in it can be trusted, not even its command id."""


def problem_of(error: Exception) -> dict[str, Any]:
    """The problem document for an error raised while handling a command."""
    if isinstance(error, Malformed):
        return problem_document(400, "Bad Request", str(error), "400")
    if isinstance(error, errors.HubError):
        return domain_problem(error)
    return problem_document(*INTERNAL)
