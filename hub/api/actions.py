"""One POST route per action of a resource (referrals, cases): validate, If-Match, run, answer."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.exceptions import BadRequest

from hub.api import Blueprint
from hub.errors import problems
from hub.schemas.referrals import ActionHeaders

# One entity tag, strong or weak, whose opaque part is the version.
ENTITY_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')

# run(action, resource id, validated body, version named by If-Match or None) -> response
Runner = Callable[[str, str, dict[str, Any], "int | None"], Any]


def if_match_version(value: str | None) -> int | None:
    """The version an If-Match header names; None when absent or `*` (any current version)."""
    if value is None or value.strip() == "*":
        return None
    found = ENTITY_TAG.match(value.strip())
    if not found:
        raise BadRequest('If-Match must be one entity tag such as "3" (or W/"3"), or *.')
    return int(found.group(1))


def _action_view(action: str, id_name: str, summary: str, run: Runner) -> Callable[..., Any]:
    def act(headers: dict[str, Any], payload: dict[str, Any], **ids: str) -> Any:
        return run(action, ids[id_name], payload, if_match_version(headers.get("if_match")))

    act.__name__ = "act_" + action.replace("-", "_")
    act.__doc__ = summary
    return act


def register_actions(blp: Blueprint, *, path: str, id_name: str, schemas: Mapping[str, Any],
                     commands: Mapping[str, Callable[..., Any]], response: Any,
                     headers: Mapping[str, Any], run: Runner) -> None:
    """Add `POST {path}/<{id_name}>/{action}` for each action, documented from its command."""
    for action, schema in schemas.items():
        summary = (commands[action].__doc__ or action).strip().splitlines()[0]
        view = _action_view(action, id_name, summary, run)
        view = problems(blp, 400, 403, 404, 409, 412, 413, 415, 422)(view)
        view = blp.response(200, response, headers=dict(headers))(view)
        view = blp.arguments(schema)(view)
        view = blp.arguments(ActionHeaders, location="headers")(view)
        blp.post(f"{path}/<{id_name}>/{action}")(view)
