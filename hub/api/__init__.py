"""REST blueprints under /api/v1: one module per resource, each exposing `blp`."""

from __future__ import annotations

from typing import Any

import flask
import flask_smorest
from webargs.flaskparser import FlaskParser

from hub.errors import PARSED_BODY

# Modules of hub.api registered by create_app, in this order.
BLUEPRINTS = ["agencies", "referrals", "cases", "audit"]


class BodyParser(FlaskParser):
    """webargs' Flask parser, taking the JSON body that `hub.errors._check_body` parsed before
    the view (a body is parsed once per request, not twice)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if PARSED_BODY in req.environ:
            return req.environ[PARSED_BODY]
        return super()._raw_load_json(req)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the `BodyParser`."""

    ARGUMENTS_PARSER = BodyParser()
