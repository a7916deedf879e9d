"""Conditional GET: `If-None-Match` names the versions a caller holds; 304 when one is current."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app
from werkzeug.exceptions import BadRequest

from hub.api.actions import ENTITY_TAG
from hub.presenters import etag


@dataclass(frozen=True)
class HeldVersions:
    """The versions of one resource whose representation the caller holds (`*`: any)."""

    versions: frozenset[int] = frozenset()
    any: bool = False

    def include(self, version: int) -> bool:
        return self.any or version in self.versions


def if_none_match(value: str | None) -> HeldVersions | None:
    """The versions an If-None-Match header names (weak tags compare equal); None when absent."""
    if value is None:
        return None
    if value.strip() == "*":
        return HeldVersions(any=True)
    versions = set()
    for tag in value.split(","):
        found = ENTITY_TAG.match(tag.strip())
        if not found:
            raise BadRequest('If-None-Match must list entity tags such as "3" (or W/"3"), '
                             "or be *.")
        versions.add(int(found.group(1)))
    return HeldVersions(frozenset(versions))


def not_modified(version: int) -> Response:
    """304: the caller's copy is current; no body, so no personal data and no access record."""
    response = current_app.response_class(status=304)
    response.headers["ETag"] = etag(version)
    return response
