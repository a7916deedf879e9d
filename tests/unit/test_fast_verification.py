"""The verifier's fast path gives exactly what the definition gives, on generated events.

The definition: `domain.chain.hashed_content` + `canonical_json` over the stored state as
`json` parses it (`Decoder.link`, `content_problem`). The fast path: AESGCM + orjson + the
plain dict (`projections.audit.check`, `projections.audit.canonical`).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.application import HubApplication
from domain.base import HubAggregate
from domain.chain import GENESIS, canonical_json, chain_hash, format_time, hashed_content
from domain.verification import NOT_DATA, stored_time
from projections.audit.bundle import _fast_line, _line, _line_by_definition, _line_bytes
from projections.audit.canonical import fast_canonical, utc_text
from projections.audit.check import EventChecker
from projections.audit.log import Decoder, batches
from tests.conftest import memory_application
from tests.referral_world import caller, payload, register_world, submission


def _event_classes() -> list[type[HubAggregate.Event]]:
    found, todo = [], [HubAggregate.Event]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.TYPE:
            found.append(cls)
    return sorted(set(found), key=lambda c: c.TYPE)


EVENT_CLASSES = _event_classes()
APP = memory_application()
CHECKER = EventChecker(Decoder(APP))

json_leaf = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
             | st.floats(allow_nan=False, allow_infinity=False) | st.text())
transcoded = (st.uuids().map(lambda u: {"_type_": "uuid_hex", "_data_": u.hex})
              | st.datetimes().map(lambda d: {"_type_": "datetime_iso", "_data_": d.isoformat()})
              | st.just({"$digest": "ab" * 32}) | st.just({"$digest": "ab" * 32, "x": 1}))
json_value = st.recursive(json_leaf | transcoded, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                          max_leaves=10)
no_float_value = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.text() | transcoded,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3), max_leaves=10)
zones = st.just(UTC) | st.none() | st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)))
uuid_ids = st.uuids().map(str)
# a day away from the ends of the calendar: the time in UTC must exist too
moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=zones)


@st.composite
def stored_states(draw: st.DrawFn, values: st.SearchStrategy[Any] = json_value,
                  moment: st.SearchStrategy[datetime] = moments,
                  ids: st.SearchStrategy[str] = uuid_ids) -> tuple[Any, ...]:
    """(event class, stream id, version, stored state) — sometimes with its true hash."""
    cls = draw(st.sampled_from(EVENT_CLASSES))
    names = st.sampled_from([*cls.PERSONAL, "respond_within_hours", "text", "reason"])
    data = draw(st.dictionaries(names | st.text(max_size=8), values, max_size=6))
    stream_id, version = draw(ids), draw(st.integers(1, 10**6))
    when = draw(moment)
    stamp: Any = {"_type_": "datetime_iso", "_data_": when.isoformat()}
    state = {**{k: v for k, v in data.items() if k not in NOT_DATA}, "timestamp": stamp,
             "actor": draw(st.dictionaries(st.sampled_from(["agency", "user"]),
                                           st.text() | values)),
             "pd_salt": draw(st.sampled_from(["", "0123abcd" * 4])),
             "prev_hash": draw(st.sampled_from([GENESIS, "ab" * 32]))}
    content = hashed_content(event_type=cls.TYPE, stream_id=stream_id, version=version,
                             occurred_at=stored_time(stamp), actor=state["actor"],
                             data={k: v for k, v in state.items() if k not in NOT_DATA},
                             personal=cls.PERSONAL, salt=state["pd_salt"])
    true_hash = chain_hash(state["prev_hash"], content)
    state["hash"] = draw(st.sampled_from([true_hash, "cd" * 32]))
    return cls, stream_id, version, state


def _row(cls: type, stream_id: str, version: int, plain: bytes) -> tuple[Any, ...]:
    topic = f"{cls.__module__}:{cls.__qualname__}"
    return 7, stream_id, version, topic, APP.mapper.cipher.encrypt(plain)


def _both(row: tuple[Any, ...]) -> tuple[Any, Any]:
    return CHECKER._fast(row), CHECKER._definition(row)


UTC_MOMENTS = st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC))
EXAMPLES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@EXAMPLES
@given(stored_states())
def test_the_fast_path_agrees_with_the_definition_on_any_stored_state(event: Any) -> None:
    cls, stream_id, version, state = event
    for plain in (json.dumps(state, ensure_ascii=False).encode(), json.dumps(state).encode()):
        fast, definition = _both(_row(cls, stream_id, version, plain))
        assert fast is None or fast == definition


@EXAMPLES
@given(stored_states(no_float_value, UTC_MOMENTS))
def test_float_free_events_at_utc_times_take_the_fast_path(event: Any) -> None:
    cls, stream_id, version, state = event
    fast, definition = _both(_row(cls, stream_id, version, orjson.dumps(state)))
    assert fast is not None and fast == definition


@EXAMPLES
@given(stored_states(no_float_value, UTC_MOMENTS,
                     st.text(max_size=40) | st.sampled_from(["", "-", "a\"b", "é-1"])))
def test_any_stream_id_gives_the_leaf_and_verdict_of_the_definition(event: Any) -> None:
    cls, stream_id, version, state = event
    fast, definition = _both(_row(cls, stream_id, version, orjson.dumps(state)))
    assert fast is not None and fast == definition


@EXAMPLES
@given(stored_states(), st.integers(0, 400), st.binary(min_size=1, max_size=3))
def test_edited_and_reencrypted_bytes_give_the_same_verdict(event: Any, at: int,
                                                            edit: bytes) -> None:
    cls, stream_id, version, state = event
    plain = json.dumps(state, ensure_ascii=False).encode()
    at %= len(plain)
    for edited in (plain[:at] + edit + plain[at + 1:], plain[:at] + edit + plain[at:]):
        fast, definition = _both(_row(cls, stream_id, version, edited))
        assert fast is None or fast == definition


@EXAMPLES
@given(json_value)
def test_fast_canonical_is_canonical_json_when_it_answers(value: Any) -> None:
    text = json.dumps(value)
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return  # the fast path goes back to the definition for what orjson cannot parse
    fast = fast_canonical(parsed)
    assert fast is None or fast == canonical_json(json.loads(text))


@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(2**64, 2**80))
def test_numbers_orjson_writes_otherwise_are_left_to_the_definition(number: Any) -> None:
    assume(not isinstance(number, int) or orjson.loads(json.dumps(number)) != number)
    assert fast_canonical(orjson.loads(json.dumps({"n": [number]}))) is None


@EXAMPLES
@given(moments | st.datetimes(timezones=st.just(UTC)))
def test_stored_times_format_as_format_time_does(moment: datetime) -> None:
    stored = {"_type_": "datetime_iso", "_data_": moment.isoformat()}
    fast = utc_text(stored)
    assert fast is None or fast == format_time(stored_time(stored))
    if moment.tzinfo is UTC and moment.year >= 1000:
        assert fast is not None


@pytest.mark.parametrize("text", [
    "2025-02-30T10:00:00+00:00", "2025-13-01T10:00:00+00:00", "2025-W05-1T10:00:00+00:00",
    "2025-01-01T24:00:00+00:00", "0999-01-01T10:00:00+00:00", "2025-01-01T10:00:00+01:00",
    "2025-01-01T10:00:00.5+00:00", "2025-01-01 10:00:00+00:00", "2025-01-01T10:00:60+00:00"])
def test_unusual_stored_times_go_back_to_the_definition(text: str) -> None:
    assert utc_text({"_type_": "datetime_iso", "_data_": text}) is None


def test_every_event_a_busy_hub_stores_takes_the_fast_path() -> None:
    app: HubApplication = memory_application()
    register_world(app, ["ref", "rec"])
    referral, _ = app.submit_referral(caller("ref"), submission())
    for action in ("accept", "notes", "notes"):
        app.act_on_referral(caller("rec"), referral.id, action, payload(action))
    checker = EventChecker(Decoder(app))
    rows = [row for found in batches(app) for row in found]
    assert len(rows) > 5
    for row in rows:
        fast = checker._fast(row)
        assert fast is not None and fast == checker._definition(row) and fast[5] is None


def test_a_submission_stored_before_the_response_window_existed_takes_the_fast_path() -> None:
    from tests.unit.test_old_events import stored_before_response_window_existed
    app = memory_application()
    referral = stored_before_response_window_existed()
    app.save(referral)
    checker = EventChecker(Decoder(app))
    (row,) = [row for found in batches(app) for row in found]
    assert "respond_within_hours" not in Decoder(app).state(row[4])
    fast = checker._fast(row)
    assert fast is not None and fast == checker._definition(row) and fast[5] is None


def test_an_event_whose_hash_was_computed_over_another_stream_is_caught() -> None:
    cls = EVENT_CLASSES[0]
    stamp = {"_type_": "datetime_iso", "_data_": datetime(2025, 1, 1, tzinfo=UTC).isoformat()}
    state = {"timestamp": stamp, "actor": {"agency": "a", "user": "u"}, "pd_salt": "",
             "prev_hash": GENESIS}
    other = str(uuid.uuid4())
    state["hash"] = chain_hash(GENESIS, hashed_content(
        event_type=cls.TYPE, stream_id=other, version=1, occurred_at=stored_time(stamp),
        actor=state["actor"], data={}, personal=(), salt=""))
    fast, definition = _both(_row(cls, str(uuid.uuid4()), 1, orjson.dumps(state)))
    assert fast == definition and "hash does not match" in str(fast[5])


@EXAMPLES
@given(stored_states(), st.sampled_from(["as is", "other version", "float", "bool"]))
def test_bundle_lines_are_checked_as_the_definition_checks_them(event: Any, edit: str) -> None:
    cls, stream_id, version, state = event
    content = hashed_content(event_type=cls.TYPE, stream_id=stream_id, version=version,
                             occurred_at=stored_time(state["timestamp"]), actor=state["actor"],
                             data={k: v for k, v in state.items() if k not in NOT_DATA},
                             personal=cls.PERSONAL, salt=state["pd_salt"])
    content = {**content, **{"as is": {}, "other version": {"version": version + 1},
                             "float": {"version": float(version)}, "bool": {"x": True}}[edit]}
    line = json.dumps({"position": 7, "stream_id": stream_id, "version": version,
                       "topic": cls.TYPE, "state": "", "content": content,
                       "prev_hash": state["prev_hash"], "hash": state["hash"]}).encode()
    fast = _fast_line(line)
    assert fast is None or fast == _line_by_definition(1, line)


def test_bundle_lines_are_written_as_the_definition_writes_them() -> None:
    app = memory_application()
    register_world(app, ["ref", "rec"])
    referral, _ = app.submit_referral(caller("ref"), submission())
    app.act_on_referral(caller("rec"), referral.id, "accept", payload("accept"))
    checker = EventChecker(Decoder(app))
    rows = [row for found in batches(app) for row in found]
    assert [_line_bytes(checker, row) for row in rows] == [
        canonical_json(_line(checker.decoder, row)) for row in rows]
    assert all(checker.content(row) is not None for row in rows)


def _signed_state(cls: type[HubAggregate.Event], stream_id: str,
                  state: dict[str, Any]) -> dict[str, Any]:
    """`state` (a UTC time, prev_hash GENESIS, salt "s") with the hash the definition gives."""
    stamp = {"_type_": "datetime_iso", "_data_": datetime(2025, 1, 1, tzinfo=UTC).isoformat()}
    state = {"timestamp": stamp, "pd_salt": "s", "prev_hash": GENESIS, **state}
    content = hashed_content(
        event_type=cls.TYPE, stream_id=stream_id, version=1, occurred_at=stored_time(stamp),
        actor=state["actor"], data={k: v for k, v in state.items() if k not in NOT_DATA},
        personal=cls.PERSONAL, salt="s")
    return {**state, "hash": chain_hash(GENESIS, content)}


def test_a_personal_field_holding_more_than_a_digest_is_digested_as_the_definition_does() -> None:
    cls = next(c for c in EVENT_CLASSES if c.PERSONAL)
    stream_id = str(uuid.uuid4())
    field = {"$digest": "ab" * 32, "name": "x"}
    state = _signed_state(cls, stream_id, {"actor": {"user": "u"}, cls.PERSONAL[0]: field})
    fast, definition = _both(_row(cls, stream_id, 1, orjson.dumps(state)))
    assert fast == definition and fast is not None and fast[5] is None


@pytest.mark.parametrize("number", [1e-06, 0.5, 1e16])
def test_an_actor_holding_a_float_goes_back_to_the_definition(number: float) -> None:
    cls, stream_id = EVENT_CLASSES[0], str(uuid.uuid4())
    state = _signed_state(cls, stream_id, {"actor": {"user": "u", "weight": number}})
    plain = json.dumps(state).encode()
    fast, definition = _both(_row(cls, stream_id, 1, plain))
    assert fast is None and definition[5] is None
