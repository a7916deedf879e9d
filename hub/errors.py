"""Every error as application/problem+json (RFC 9457); the one place exceptions become HTTP."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from domain import errors as domain

log = logging.getLogger("hub.errors")

PROBLEM = "application/problem+json"
TYPE_BASE = "https://referral-hub.invalid/problems/"

STATUS_OF: list[tuple[type[domain.HubError], int, str]] = [
    (domain.NotAuthenticated, 401, "unauthorized"),
    (domain.NotPermitted, 403, "forbidden"),
    (domain.NotFound, 404, "not-found"),
    (domain.InvalidTransition, 409, "invalid-transition"),
    (domain.Conflict, 409, "conflict"),
    (domain.VersionMismatch, 412, "version-mismatch"),
    (domain.Invalid, 422, "validation"),
]


def problem(status: int, title: str, detail: str, kind: str | None = None,
            **extra: Any) -> Response:
    """A problem+json response."""
    body = {"type": TYPE_BASE + (kind or str(status)), "title": title, "status": status,
            "detail": detail, **extra}
    rid = getattr(g, "request_id", None)
    if rid:
        body["request_id"] = rid
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="referral-hub"'
    return response


def _validation_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """Flatten webargs' {location: {field: messages}} into {field: messages}."""
    flat: dict[str, list[str]] = {}
    for location, fields in (data.get("messages") or {}).items():
        if not isinstance(fields, dict):
            flat[location] = list(fields) if isinstance(fields, list) else [str(fields)]
            continue
        _flatten(fields, "", flat)
    return flat


def _flatten(fields: dict[str, Any], prefix: str, out: dict[str, list[str]]) -> None:
    for name, messages in fields.items():
        path = f"{prefix}{name}"
        if isinstance(messages, dict):
            _flatten(messages, path + ".", out)
        else:
            out[path] = [str(m) for m in messages]


class ProblemApi(Api):
    """flask-smorest's Api answering HTTP errors with problem documents."""

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        return http_problem(error)


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422:
        fields = _validation_errors(data)
        if set(fields) == {"_schema"} and any("Invalid input type" in m for m in fields["_schema"]):
            return problem(400, "Bad Request", "The body must be a JSON object.", "bad-request")
        return problem(422, "Unprocessable Content", "Some fields failed validation.",
                       "validation", errors=fields)
    if status == 500:
        return problem(500, "Internal Server Error", "An unexpected error occurred.", "internal")
    detail = data.get("message") or error.description or error.name
    return problem(status, error.name, str(detail), str(status))


def _domain_problem(error: domain.HubError) -> Response:
    for cls, status, kind in STATUS_OF:
        if isinstance(error, cls):
            extra: dict[str, Any] = {}
            if isinstance(error, domain.InvalidTransition):
                extra = {"current_status": error.status, "allowed_actions": error.allowed}
            if isinstance(error, domain.Invalid):
                extra = {"errors": error.errors}
            if isinstance(error, domain.VersionMismatch):
                extra = {"current_version": error.current}
            title = (cls.__doc__ or kind).strip().split("\n")[0]
            return problem(status, title, error.detail, kind, **extra)
    return problem(500, "Internal Server Error", "An unexpected error occurred.", "internal")


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_problem(error)
    log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", None)})
    return problem(500, "Internal Server Error", "An unexpected error occurred.", "internal")


def _check_body() -> Response | None:
    """400 for a body that is not JSON, 415 for one that is not declared as JSON."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith("/api/"):
        return None
    if request.content_length == 0 or (request.content_length is None and not request.data):
        return None
    if not request.is_json:
        return problem(415, "Unsupported Media Type",
                       "Send the body as application/json.", "unsupported-media-type")
    try:
        json.loads(request.get_data(cache=True))
    except ValueError:
        return problem(400, "Bad Request", "The body is not valid JSON.", "bad-request")
    return None


def register(app: Flask) -> None:
    """Map domain errors by base class (subclasses follow) and guard request bodies."""
    app.register_error_handler(domain.HubError, _domain_problem)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_check_body)
