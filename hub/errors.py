"""Every error as application/problem+json (RFC 9457); the one place exceptions become HTTP."""

from __future__ import annotations

import http
import json as std_json
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from adapters.problems import (
    MAX_DEPTH,
    domain_problem,
    json_problem,
    problem_document,
    suspect_json,
)
from domain import errors as domain
from hub.schemas.common import ProblemSchema

log = logging.getLogger("hub.errors")

PROBLEM = "application/problem+json"
BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
PARSED_BODY = "hub.parsed_body"  # a WSGI environ key: the JSON body `_check_body` parsed


def problem(status: int, title: str, detail: str, kind: str | None = None,
            **extra: Any) -> Response:
    """A problem+json response."""
    return respond(problem_document(status, title, detail, kind, **extra))


def respond(body: dict[str, Any]) -> Response:
    """Send a problem document, with the request id (and a challenge on 401)."""
    rid = getattr(g, "request_id", None)
    if rid:
        body = {**body, "request_id": rid}
    status = int(body["status"])
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


# What each documented error status means (the contract's error table).
WHEN: dict[int, str] = {
    400: "The body is not JSON, or not a JSON object; or a malformed If-Match.",
    401: "No token, or an unknown or revoked token.",
    403: "The caller may see the resource but not do this (wrong party or role).",
    404: "No such resource, or the caller may not see it (existence is never revealed).",
    409: "The action is not allowed in the current status (`allowed_actions` lists what is).",
    412: "If-Match names a version that is not the current one (`current_version`).",
    413: "The body is over 1 MiB.",
    415: "The body is not declared as application/json.",
    422: "Fields fail validation (`errors` maps each field to its messages).",
    503: "The hub is not configured for this (the audit log without an audit key: "
         "`detail` names the setting).",
}


def problems(blp: Blueprint, *codes: int) -> Callable[[Any], Any]:
    """Document these problem+json responses on a view (401 and 415 are implied for all)."""

    def decorate(view: Any) -> Any:
        for code in sorted({401, *codes}, reverse=True):
            view = blp.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return view

    return decorate


class ProblemApi(Api):
    """flask-smorest's Api answering HTTP errors with problem documents."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """Every error response in the OpenAPI document is application/problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": WHEN.get(status.value, status.phrase)}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error.", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

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
    return respond(domain_problem(error))


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_problem(error)
    log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", None)})
    return problem(500, "Internal Server Error", "An unexpected error occurred.", "internal")


def _check_body() -> Response | None:
    """413 for a body over the limit, 415 for one not declared as JSON, 400 for one not JSON,
    422 for an object holding text that is not Unicode (an unpaired surrogate) or nesting
    deeper than `MAX_DEPTH` (400 if too deep even to parse).

    A body in UTF-8 is parsed once: what it parses to is kept in the request's environ under
    `PARSED_BODY`, where the arguments parser of the API's blueprints takes it."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup
    if req.method not in BODY_METHODS or not req.path.startswith("/api/"):
        return None
    length = req.content_length
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (length or 0) > limit:
        return problem(413, "Content Too Large", f"The body is over {limit} bytes.",
                       "content-too-large")
    if length == 0 or (length is None and not req.data):
        return None
    if not req.is_json:
        return problem(415, "Unsupported Media Type",
                       "Send the body as application/json.", "unsupported-media-type")
    data = req.get_data(cache=True)
    try:  # strictly, as webargs decodes it; other bytes go to `json` (surrogates included)
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    try:
        body = std_json.loads(data if text is None else text)
    except ValueError:
        return problem(400, "Bad Request", "The body is not valid JSON.", "bad-request")
    except RecursionError:
        return problem(400, "Bad Request", f"The body nests deeper than {MAX_DEPTH} levels.",
                       "bad-request")
    # not an object: webargs answers 400 later
    found = json_problem(body) if isinstance(body, dict) and suspect_json(data) else None
    if found is not None:
        field, message = found
        return problem(422, "Unprocessable Content", "Some fields failed validation.",
                       "validation", errors={field: [message]})
    if text is not None:
        req.environ[PARSED_BODY] = body
    return None


def register(app: Flask) -> None:
    """Map domain errors by base class (subclasses follow) and guard request bodies."""
    app.register_error_handler(domain.HubError, _domain_problem)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_check_body)
