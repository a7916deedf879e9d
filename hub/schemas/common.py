"""Shared schema pieces: the strict base, bounded text, slugs, problem documents, headers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields, missing, validate

SLUG = r"^[a-z0-9-]{2,64}$"
JURISDICTION = r"^/?[a-z0-9_-]+(/[a-z0-9_-]+)*/?$"
USER = r"^[A-Za-z0-9._@-]{1,64}$"
HEADER_MAX = 200


class Whole(validate.Regexp):
    """`validate.Regexp` that must match the whole value. `Regexp` uses `re.match`, where `$`
    also matches before a final newline: "agency-01\n" passed `^[a-z0-9-]{2,64}$` and was
    registered as an agency id. The pattern is kept as written, for OpenAPI (ECMA-262, where `$`
    is the end of the text)."""

    def __call__(self, value: str | bytes) -> str | bytes:
        if self.regex.fullmatch(value) is None:  # type: ignore[arg-type]
            raise ValidationError(self._format_error(value))
        return value


def iso_month(value: str) -> None:
    """Refuse a month the summary cannot bound: year 0000 is no date, and 9999-12 has no month
    after it (both were 500s)."""
    year = value[:4]
    if year.isascii() and year.isdigit() and not "0001" <= year <= "9998":
        raise ValidationError("A month from 0001-01 to 9998-12.")


class FastLoadSchema(Schema):
    """A schema whose `load` of a valid request takes a short path, with the same result.

    marshmallow's `_deserialize` wraps every field in a closure, an error store and a path
    setter, and rebuilds the set of known keys on every call: 92 µs of a submit's body in the
    request path (a tenth of its CPU). Here each field's own `deserialize` — which holds all
    that a field checks: required, null, type, validators, nested schemas — runs in a plain
    loop over the schema's fields; the first `ValidationError`, an unknown key, or anything
    but a mapping without `many`/`partial` hands the input to marshmallow's own
    `_deserialize`, which builds its result and error messages as it always has. Hooks
    (pre_load, validators, post_load) are marshmallow's, untouched.
    `tests/unit/test_fast_load.py` holds both paths equal, results and errors, on every
    request schema of the API.
    """

    def _deserialize(self, data: Any, *, error_store: Any, many: bool = False,
                     partial: Any = None, unknown: str = RAISE, index: Any = None) -> Any:
        plan = self._load_plan()
        if plan is None or many or partial is not None or unknown == INCLUDE \
                or not isinstance(data, Mapping):
            return super()._deserialize(data, error_store=error_store, many=many,
                                        partial=partial, unknown=unknown, index=index)
        steps, known = plan
        loaded = self.dict_class()
        try:
            for key, attribute, field, checks in steps:
                value = data.get(key, missing)
                if checks is not None and type(value) is str:
                    for check in checks:  # what `String.deserialize` does to a str
                        check(value)
                else:
                    value = field.deserialize(value, key, data)
                if value is not missing:
                    loaded[attribute] = value
        except ValidationError:
            return super()._deserialize(data, error_store=error_store, many=many,
                                        partial=partial, unknown=unknown, index=index)
        if unknown == RAISE and not known.issuperset(data):
            return super()._deserialize(data, error_store=error_store, many=many,
                                        partial=partial, unknown=unknown, index=index)
        return loaded

    def _load_plan(self) -> tuple[list[tuple[str, str, fields.Field, Any]], frozenset[str]] | None:
        """(data key, attribute, field, validators of a plain String field) of each load
        field, and the keys; None when an attribute is a dotted path (marshmallow then nests
        the value: left to it). A plain `fields.String` given a str only runs its validators:
        `String._deserialize` returns a str as it is, and no field-level pre/post_load ran."""
        try:
            return self.__dict__["_plan"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        steps = [(field.data_key if field.data_key is not None else name,
                  field.attribute or name, field,
                  tuple(field.validators) if type(field) is fields.String
                  and not field.pre_load and not field.post_load else None)
                 for name, field in self.load_fields.items()]
        found = None if any("." in step[1] for step in steps) else (
            steps, frozenset(step[0] for step in steps))
        self.__dict__["_plan"] = found
        return found


class StrictSchema(FastLoadSchema):
    """A request body: unknown fields are refused (422 naming them), never ignored."""

    class Meta:
        unknown = RAISE
        ordered = True


class HeaderSchema(FastLoadSchema):
    """Request headers: only the declared ones are read, every other header is left alone."""

    class Meta:
        unknown = EXCLUDE


class StrictInteger(fields.Integer):
    """An integer that refuses strings, floats and booleans, and anything beyond 64 bits (what
    the stores hold: a larger one sent to SQLite was a 500)."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "int64": "Must lie between -2**63 and 2**63 - 1."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metadata = {"format": "int64", **self.metadata}  # documented as OpenAPI's int64

    def _validated(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        number = super()._validated(value)
        if number is not None and not -2**63 <= number < 2**63:
            raise self.make_error("int64")
        return number


def text(max_length: int, *, required: bool = True, **kwargs: Any) -> fields.String:
    """A non-empty string of at most `max_length` characters (null allowed when optional)."""
    return fields.String(required=required, allow_none=not required,
                         validate=validate.Length(min=1, max=max_length), **kwargs)


def choice(options: tuple[str, ...], *, required: bool = True, **kwargs: Any) -> fields.String:
    """One of a domain enumeration (documented as an OpenAPI enum)."""
    return fields.String(required=required, allow_none=not required,
                         validate=validate.OneOf(options), **kwargs)


def slug(*, required: bool = True, **kwargs: Any) -> fields.String:
    """An agency id: `[a-z0-9-]{2,64}`."""
    return fields.String(required=required, allow_none=not required, validate=Whole(
        SLUG, error="Must be 2-64 characters of a-z, 0-9 and '-'."), **kwargs)


def iso_date(value: str) -> None:
    """Refuse anything but a calendar date `YYYY-MM-DD`."""
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValidationError("Not a valid date (YYYY-MM-DD).") from None
    if len(value) != 10:
        raise ValidationError("Not a valid date (YYYY-MM-DD).")


class ProblemSchema(Schema):
    """An RFC 9457 problem document."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    request_id = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Each failing field with its messages."})
    current_status = fields.String(metadata={"description": "409: the resource's status."})
    allowed_actions = fields.List(fields.String(),
                                  metadata={"description": "409: what may be done now."})
    current_version = fields.Integer(metadata={"description": "412: the current version."})


class PurposeHeaders(HeaderSchema):
    """Why a caller reads personal data; kept in the access record."""

    purpose = fields.String(data_key="X-Purpose", validate=validate.Length(max=HEADER_MAX),
                            metadata={"description": "Why the data is read (kept on record)."})


class ReadHeaders(PurposeHeaders):
    """Headers of a read of one referral or case."""

    if_none_match = fields.String(
        data_key="If-None-Match", validate=validate.Length(max=HEADER_MAX),
        metadata={"description": 'Versions the caller holds, e.g. "3" (or W/"3", or *): 304 '
                                 "when one is current; a 304 carries no data and is not "
                                 "recorded as a read."})
