"""The catch-up's lean decoder gives exactly the application mapper's events, or its errors."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.agency import Agency
from domain.application import HubApplication
from domain.referral import Referral
from projections.engine.decoding import LeanDecoder
from tests.conftest import memory_application
from tests.projection_helpers import Clock, full_life, register_agencies

APP = memory_application()
EVENT_CLASSES = [Referral.Submitted, Referral.NoteAdded, Referral.Accepted, Agency.Registered]
KEYS = st.one_of(st.text(max_size=8), st.sampled_from(["_type_", "_data_", "timestamp",
                                                       "class_version", "originator_id"]))
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), st.text(), st.sampled_from(['"_type_"', "\\u005f", "\u2028"]),
    st.uuids(), st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.just(UTC)))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
TIMES = st.one_of(st.datetimes(timezones=st.just(UTC)), st.datetimes(),
                  st.datetimes(timezones=st.just(UTC)).map(
                      lambda t: t.astimezone(datetime.now(UTC).astimezone().tzinfo)))


def stored(cls: type, fields: dict[str, Any], timestamp: datetime, version: int,
           id_as_text: bool) -> StoredEvent:
    """An event of `cls` with arbitrary fields, stored by the application's own mapper."""
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", {
        **fields, "originator_id": uuid.uuid4(), "originator_version": version,
        "timestamp": timestamp})
    record = APP.mapper.to_stored_event(event)
    if id_as_text:  # how a store that keeps ids as text hands them back
        record = replace(record, originator_id=str(record.originator_id))
    return record


def assert_same(decoded: Any, expected: Any) -> None:
    assert type(decoded) is type(expected)
    assert vars(decoded) == vars(expected)
    assert [type(v) for v in vars(decoded).values()] == [type(v) for v in vars(expected).values()]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(cls=st.sampled_from(EVENT_CLASSES), fields=st.dictionaries(KEYS, VALUES, max_size=6),
       timestamp=TIMES, version=st.integers(1, 10**6), id_as_text=st.booleans())
def test_any_stored_event_decodes_as_the_mapper_decodes_it(
        cls: type, fields: dict[str, Any], timestamp: datetime, version: int,
        id_as_text: bool) -> None:
    record = stored(cls, fields, timestamp, version, id_as_text)
    try:
        expected = APP.mapper.to_domain_event(record)
    except Exception as error:  # noqa: BLE001 (whatever the mapper raises, the decoder must)
        with pytest.raises(type(error)):
            LeanDecoder(APP.mapper).decode([record])
        return
    assert_same(LeanDecoder(APP.mapper).decode([record])[0], expected)


def test_the_hubs_own_events_decode_without_the_mapper(monkeypatch: pytest.MonkeyPatch) -> None:
    app = hub_with_history()
    records = app.recorder.select_notifications(1, 10_000)
    expected = [app.mapper.to_domain_event(r) for r in records]
    monkeypatch.setattr(app.mapper, "to_domain_event", refuse)
    decoded = LeanDecoder(app.mapper).decode(records)
    assert len(decoded) == len(expected) > 20
    for got, want in zip(decoded, expected, strict=True):
        assert_same(got, want)


def test_a_damaged_state_fails_as_the_mapper_fails() -> None:
    record = stored(Referral.NoteAdded, {"text": "hello"}, datetime.now(UTC), 2, False)
    for damaged in (record.state[:-1] + bytes([record.state[-1] ^ 1]), record.state[:20]):
        broken = replace(record, state=damaged)
        with pytest.raises(MapperDeserialisationError):
            LeanDecoder(APP.mapper).decode([broken])


def test_an_unknown_topic_fails_as_the_mapper_fails() -> None:
    record = stored(Referral.NoteAdded, {}, datetime.now(UTC), 2, False)
    moved = replace(record, topic="domain.referral:Referral.Vanished")
    with pytest.raises(Exception) as lean:
        LeanDecoder(APP.mapper).decode([moved])
    with pytest.raises(Exception) as library:
        APP.mapper.to_domain_event(moved)
    assert type(lean.value) is type(library.value)


def test_transcoded_values_beyond_the_timestamp_come_back_typed() -> None:
    fields = {"at": datetime(2030, 1, 1, tzinfo=UTC), "ref": uuid.uuid4(), "sum": Decimal("1.5"),
              "nested": {"when": [datetime(2030, 1, 2, tzinfo=UTC) + timedelta(hours=1)]}}
    record = stored(Referral.NoteAdded, fields, datetime.now(UTC), 3, False)
    decoded = LeanDecoder(APP.mapper).decode([record])[0]
    assert {k: getattr(decoded, k) for k in fields} == fields


def hub_with_history() -> HubApplication:
    app = memory_application()
    app.clock = Clock()
    register_agencies(app)
    full_life(app)
    return app


def refuse(record: StoredEvent) -> Any:
    raise AssertionError(f"the mapper was asked to decode {record.topic}")
