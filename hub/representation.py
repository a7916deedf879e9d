"""JSON answers shaped by a response schema without a marshmallow `dump` on every request.

The presenters (`Referral.view`, `case_view`, the boards' items) already hold JSON values of the
types their schemas declare; what `dump` still does to them is keep the declared fields, in the
declared order, nested objects included. A `Shape` compiled once from the schema does exactly
that, several times faster than `dump` on a page of 25 referrals. flask-smorest passes a
returned `Response` through untouched, so the schemas stay the documented contract (OpenAPI is
unchanged) and `tests/e2e/test_representation.py` holds every answer byte-identical to `dump`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import orjson
from flask import Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema, fields

Shape = Callable[[Any], Any]

# Fields whose `dump` of a JSON value of the declared type is that value itself.
AS_IS = (fields.String, fields.Integer, fields.Boolean, fields.Dict, fields.Raw)


def shape_of(schema: Schema | type[Schema]) -> Shape:
    """What `schema.dump` does to a presenter's dict: declared fields only, in declared order."""
    instance = schema() if isinstance(schema, type) else schema
    parts = [(field.data_key or name, field.attribute or name, _field_shape(field))
             for name, field in instance.dump_fields.items()]

    def shape(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        return {key: (value[attr] if inner is None or value[attr] is None
                      else inner(value[attr]))
                for key, attr, inner in parts if attr in value}

    return shape


def _field_shape(field: fields.Field) -> Shape | None:
    """None when the value goes out as it is; refuses field kinds it cannot reproduce."""
    if isinstance(field, fields.Nested):
        if field.many:
            raise TypeError("Use fields.List(fields.Nested(...)) in response schemas.")
        return shape_of(field.schema)
    if isinstance(field, fields.List):
        inner = _field_shape(field.inner)
        return None if inner is None else (lambda items: [inner(item) for item in items])
    if isinstance(field, AS_IS):
        return None
    raise TypeError(f"No shape for {type(field).__name__}: dump it or teach shape_of.")


def json_answer(body: Any, status: int = 200, **headers: str) -> Response:
    """A JSON response of an already shaped body, encoded as flask-smorest would encode it."""
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.update(headers)
    return response


def resource_path(collection: str, id: str) -> str:
    """The path of one resource under /api/v1, as `url_for` writes it for the Location header,
    without a walk of the URL map on every create."""
    return f"{request.script_root}/api/v1/{collection}/{quote(id, safe='')}"


class FastJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider whose compact answers orjson writes (every answer is JSON; this
    took ~4% of a submit's CPU with `json`). Datetimes and dataclasses still go to Flask's
    `default`, as before; a value orjson cannot write (an integer beyond 64 bits, a key that
    is not a string) falls back to `json`. Debug mode's indented answers stay `json`'s."""

    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self.sort_keys or (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default, option=self._options)
        except orjson.JSONEncodeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)
