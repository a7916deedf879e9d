"""Shared schema pieces: the strict base, bounded text, slugs, problem documents, headers."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

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


class StrictSchema(Schema):
    """A request body: unknown fields are refused (422 naming them), never ignored."""

    class Meta:
        unknown = RAISE
        ordered = True


class HeaderSchema(Schema):
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
