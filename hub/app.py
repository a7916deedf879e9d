"""The composition root: `create_app` builds the application, the adapters and the blueprints."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from adapters.read_models import open_boards
from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from hub import auth, errors, logs
from hub.api import BLUEPRINTS
from hub.representation import FastJSONProvider

MAX_BODY_BYTES = 1024 * 1024


class HubFlask(Flask):
    """Flask, remembering which of its hooks and views are plain functions.

    Flask asks `inspect.iscoroutinefunction` of the view and of every before-, after- and
    teardown hook on every request (14 times for a submit, ~2 % of its CPU); the answer for a
    function never changes. The memory is bounded: a caller that wraps a new function per
    request (`copy_current_request_context`) would otherwise grow it without end.
    """

    SYNC_MEMORY = 512

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        synced = self._synced.get(func)
        if synced is None:
            if len(self._synced) >= self.SYNC_MEMORY:
                self._synced.clear()
            synced = self._synced[func] = super().ensure_sync(func)
        return synced


@dataclass
class Hub:
    """What every request needs: settings and the Application (plus optional services)."""

    settings: Settings
    app: HubApplication
    services: dict[str, Any] = field(default_factory=dict)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; `config` may carry `HUB_SETTINGS` and `HUB_APPLICATION`."""
    flask_app = HubFlask(__name__)
    flask_app.json = FastJSONProvider(flask_app)
    flask_app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese text as UTF-8
    flask_app.config.update(
        API_TITLE="Referral Hub (转介枢纽)", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL="/docs/api/assets/",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False,
    )
    flask_app.config.update(config or {})
    flask_app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the schemas' order
    settings = flask_app.config.get("HUB_SETTINGS") or Settings.from_env()
    application = flask_app.config.get("HUB_APPLICATION") or open_application(settings)
    flask_app.extensions["hub"] = Hub(settings=settings, app=application)
    flask_app.extensions["hub"].services["boards"] = open_boards(settings, application)
    api = errors.ProblemApi(flask_app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    for name in BLUEPRINTS:
        module = importlib.import_module(f"hub.api.{name}")
        api.register_blueprint(module.blp)
    for name in ("health", "web"):
        flask_app.register_blueprint(importlib.import_module(f"hub.{name}").bp)
    logs.register(flask_app)  # first: every later answer carries the request id
    auth.register(flask_app)  # 401 before any look at the body
    errors.register(flask_app)
    return flask_app


def hub() -> Hub:
    """The current app's Hub."""
    return current_app.extensions["hub"]  # type: ignore[no-any-return]
