"""Schemas of the audit endpoints: histories, access logs, verification, the log, proofs."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from hub.schemas.common import StrictInteger
from hub.schemas.referrals import ActorSchema  # one "Actor" in the OpenAPI document


class EventSchema(Schema):
    """One event as stored, with its place in the stream's hash chain."""

    version = fields.Integer()
    type = fields.String()
    occurred_at = fields.String()
    actor = fields.Nested(ActorSchema)
    data = fields.Dict()
    hash = fields.String()
    prev_hash = fields.String()


class HistorySchema(Schema):
    stream_id = fields.String()
    events = fields.List(fields.Nested(EventSchema))
    verified = fields.Boolean(metadata={"description": "True when the stream's chain verifies."})


class ReadSchema(Schema):
    at = fields.String()
    actor = fields.Nested(ActorSchema)
    role = fields.String()
    purpose = fields.String(allow_none=True)
    view = fields.String()


class AccessLogSchema(Schema):
    resource_id = fields.String()
    kind = fields.String()
    reads = fields.List(fields.Nested(ReadSchema))
    verified = fields.Boolean()


class CheckpointSchema(Schema):
    tree_size = fields.Integer()
    root = fields.String()
    time = fields.String()
    key_id = fields.String()
    signature = fields.String(metadata={"description": "Ed25519, base64."})


class VerifySchema(Schema):
    ok = fields.Boolean()
    streams_checked = fields.Integer()
    events_checked = fields.Integer()
    first_break = fields.String(allow_none=True)
    breaks = fields.Integer()
    tree_size = fields.Integer()
    root = fields.String()
    checkpoints_checked = fields.Integer()
    latest_checkpoint = fields.Nested(CheckpointSchema, allow_none=True)


class LogEntrySchema(EventSchema):
    position = fields.Integer()
    stream_id = fields.String()
    unreadable = fields.Boolean()


class LogPageSchema(Schema):
    items = fields.List(fields.Nested(LogEntrySchema))
    next_after = fields.Integer(allow_none=True)


class LogQuery(Schema):
    after = StrictInteger(load_default=0, validate=validate.Range(min=0))
    limit = StrictInteger(load_default=100, validate=validate.Range(min=1, max=1000))


class CheckpointsSchema(Schema):
    key_id = fields.String()
    public_key = fields.String(metadata={"description": "PEM."})
    checkpoints = fields.List(fields.Nested(CheckpointSchema))


class InclusionQuery(Schema):
    position = StrictInteger(required=True, validate=validate.Range(min=1))
    tree_size = StrictInteger(required=True, validate=validate.Range(min=1))


class InclusionSchema(Schema):
    position = fields.Integer()
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = fields.String()
    root = fields.String()
    proof = fields.List(fields.String())


class ConsistencyQuery(Schema):
    old_size = StrictInteger(required=True, validate=validate.Range(min=0))
    new_size = StrictInteger(required=True, validate=validate.Range(min=0))


class ConsistencySchema(Schema):
    old_size = fields.Integer()
    new_size = fields.Integer()
    old_root = fields.String()
    new_root = fields.String()
    proof = fields.List(fields.String())


class StatsQuery(Schema):
    """Which referrals to count (by submission time) and how to group them."""

    group_by = fields.String(load_default="category", validate=validate.OneOf(
        ("category", "to_agency", "status", "month")))
    from_ = fields.DateTime(data_key="from", load_default=None,
                            metadata={"description": "Submitted at or after (ISO 8601)."})
    to = fields.DateTime(load_default=None, metadata={"description": "Submitted before."})


class StatsGroupSchema(Schema):
    group = fields.String()
    count = fields.Integer()
    answered = fields.Integer()
    median_hours_to_answer = fields.Float(allow_none=True)
    concluded = fields.Integer(metadata={"description": "Completed or closed."})
    closure_rate = fields.Float(metadata={"description": "concluded / count"})


class StatsSchema(Schema):
    group_by = fields.String()
    total = fields.Integer()
    groups = fields.List(fields.Nested(StatsGroupSchema))


class PlotQuery(Schema):
    from_ = fields.DateTime(data_key="from", load_default=None)
    to = fields.DateTime(load_default=None)
