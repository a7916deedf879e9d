"""Bearer-token authentication: the caller of the current request."""

from __future__ import annotations

from flask import current_app, g, request

from domain.base import Caller
from domain.errors import NotAuthenticated, NotPermitted


def caller() -> Caller:
    """The authenticated caller (cached on the request); 401 without a valid token."""
    found = g.get("caller")
    if found is not None:
        return found  # type: ignore[no-any-return]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <token>'.")
    hub = current_app.extensions["hub"]
    g.caller = hub.app.authenticate(token.strip(), hub.settings.admin_token)
    return g.caller  # type: ignore[no-any-return]


def require_hub_admin() -> Caller:
    """The caller, who must be the hub administrator."""
    found = caller()
    if not found.is_hub_admin:
        raise NotPermitted("Only the hub administrator may do this.")
    return found
