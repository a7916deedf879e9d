"""The short path of `FastLoadSchema` gives what marshmallow's own `_deserialize` gives — the
same result, or the same errors — on every request schema of the API, for drawn inputs that
are mostly almost valid (so both the short path and its hand-over are taken)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

import hub.schemas
from hub.schemas.common import FastLoadSchema
from hub.schemas.referrals import ReferralCreateSchema
from tests.e2e.hubclient import referral_body
from tests.e2e.strategies import JSON


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


for module in pkgutil.iter_modules(hub.schemas.__path__):
    importlib.import_module(f"hub.schemas.{module.name}")
SCHEMAS = sorted({cls for cls in _subclasses(FastLoadSchema) if cls().load_fields},
                 key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")

TEXTS = ["", " ", "x", "agency-01", "agency-01\n", "hubei/jingmen", "2026-01-01", "2026-13-01",
         "2026-11", "0000-01", '"3"', 'W/"3"', "*", "示例", "\ud800", "a" * 4001,
         "2026-11-24T10:00:00+08:00", "2026-11-24T10:00:00", "0b6a8c9e-3f7d-4f52-9a57-1d2c7c7d2b10"]
CANDIDATES = [*TEXTS, 0, 1, -1, 24, 721, 2**63, 1.5, True, False, "5", None, {}, []]
OMIT = object()
RARE = 7  # one draw in 20 (not 0: hypothesis draws the ends of a range more often)


def accepts(field: fields.Field, value: Any) -> bool:
    try:
        field.deserialize(value)
    except ValidationError:
        return False
    return True


def value_for(field: fields.Field, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly a value the field takes (found among `CANDIDATES`), one time in 20 any JSON."""
    anything = JSON | st.sampled_from(CANDIDATES)
    if isinstance(field, fields.Nested):
        valid = body_for(field.schema, depth + 1) if depth < 3 else anything
    elif isinstance(field, fields.List):
        valid = st.lists(value_for(field.inner, depth + 1), max_size=3)
    else:
        choices = [choice for check in field.validators if isinstance(check, validate.OneOf)
                   for choice in check.choices]
        good = [value for value in [*choices, *CANDIDATES] if accepts(field, value)]
        valid = st.sampled_from(good) if good else anything
    return st.integers(0, 19).flatmap(lambda n: anything if n == RARE else valid)


def body_for(schema: Schema, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """An object for `schema`: each field mostly valid, one time in 20 left out; one object
    in ten with an unknown key."""
    parts = {(field.data_key or name): st.integers(0, 19).flatmap(
                 lambda n, field=field: st.just(OMIT) if n == RARE else value_for(field, depth))
             for name, field in schema.load_fields.items()}
    unknown = st.dictionaries(st.sampled_from(["unknown", "priority", "Name"]), JSON,
                              max_size=1)
    return st.tuples(st.fixed_dictionaries(parts), unknown, st.integers(0, 9)).map(
        lambda drawn: {**{k: v for k, v in drawn[0].items() if v is not OMIT},
                       **(drawn[1] if drawn[2] == 0 else {})})


def outcome(schema_class: type[Schema], data: Any) -> tuple[Any, ...]:
    try:
        return ("loaded", schema_class().load(data))
    except ValidationError as error:
        return ("refused", error.messages, error.valid_data)


def plain(schema_class: type[Schema], data: Any) -> tuple[Any, ...]:
    """As marshmallow loads it, with no short path anywhere (nested schemas included)."""
    with patch.object(FastLoadSchema, "_deserialize", Schema._deserialize):
        return outcome(schema_class, data)


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda cls: cls.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_both_paths_agree(schema_class: type[Schema], data: st.DataObject) -> None:
    drawn = data.draw(body_for(schema_class()) | JSON)
    assert outcome(schema_class, drawn) == plain(schema_class, drawn)


def test_many_drawn_inputs_load() -> None:
    """The drawn inputs are not all refused: the comparison compared loaded results too."""
    loaded = 0

    @settings(max_examples=100, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def count(data: st.DataObject) -> None:
        nonlocal loaded
        loaded += outcome(ReferralCreateSchema, data.draw(body_for(ReferralCreateSchema())))[0] \
            == "loaded"

    count()
    assert loaded >= 10


def test_a_valid_submission_takes_the_short_path_only() -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("marshmallow's _deserialize ran")

    with patch.object(Schema, "_deserialize", refuse):
        loaded = ReferralCreateSchema().load(referral_body())
    assert loaded == plain(ReferralCreateSchema, referral_body())[1]


def test_a_dotted_attribute_is_left_to_marshmallow() -> None:
    class Dotted(FastLoadSchema):
        name = fields.String(attribute="person.name")

    assert Dotted().load({"name": "x"}) == {"person": {"name": "x"}}
