"""Bearer-token authentication: the caller of the current request."""

from __future__ import annotations

from flask import Flask, current_app, g, request

from domain.base import Caller
from domain.errors import NotAuthenticated, NotPermitted


def caller() -> Caller:
    """The authenticated caller (cached on the request); 401 without a valid token."""
    context = g._get_current_object()  # type: ignore[attr-defined]  # one proxy lookup
    found = getattr(context, "caller", None)
    if found is not None:
        return found  # type: ignore[no-any-return]
    header = request.environ.get("HTTP_AUTHORIZATION", "")  # the Authorization header
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <token>'.")
    hub = current_app.extensions["hub"]
    context.caller = hub.app.authenticate(token.strip(), hub.settings.admin_token)
    return context.caller  # type: ignore[no-any-return]


def require_hub_admin() -> Caller:
    """The caller, who must be the hub administrator."""
    found = caller()
    if not found.is_hub_admin:
        raise NotPermitted("Only the hub administrator may do this.")
    return found


def _public_paths(app: Flask) -> set[str]:
    """The only /api/v1 paths served without a token: the OpenAPI document and its viewer."""
    prefix = "/" + app.config["OPENAPI_URL_PREFIX"].strip("/")
    ui = app.config.get("OPENAPI_SWAGGER_UI_PATH")
    paths = {f"{prefix}/{app.config['OPENAPI_JSON_PATH']}"}
    if ui:
        paths |= {f"{prefix}/{ui}", f"{prefix}/{ui}/"}
    return paths


def register(app: Flask) -> None:
    """Authenticate every /api/v1 request before its body or arguments are looked at."""
    public = _public_paths(app)

    def authenticate() -> None:
        if request.path.startswith("/api/v1/") and request.path not in public:
            caller()

    app.before_request(authenticate)
