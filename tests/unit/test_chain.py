"""The per-stream hash chain of HubAggregate events, at the domain level."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.base import HubAggregate, recompute_hash
from domain.chain import (
    GENESIS,
    TIME_FORMAT,
    canonical_json,
    format_time,
    hashed_content,
    personal_digest,
)
from domain.presentation import chain_breaks, event_record
from domain.referral import Referral
from tests.conftest import memory_application
from tests.referral_world import T0, caller, payload, register_world, submission


def with_fields(event: HubAggregate.Event, **changes: Any) -> HubAggregate.Event:
    """A copy of a (frozen) event with some attributes changed."""
    twin = copy.copy(event)
    for name, value in changes.items():
        object.__setattr__(twin, name, value)
    return twin


def life() -> list[HubAggregate.Event]:
    """The events of a referral from submission to closure."""
    referral = Referral.submit(id=uuid.uuid4(), caller=caller("ref"), at=T0, **submission())
    for n, (action, who) in enumerate([("accept", "rec"), ("notes", "ref"),
                                       ("complete", "rec"), ("acknowledge", "ref")]):
        method = {"notes": "add_note"}.get(action, action)
        getattr(referral, method)(caller(who), at=T0 + timedelta(minutes=n + 1), **payload(action))
    return list(referral.collect_events())


def expected_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """The contract's formula, written out: SHA-256(prev_hash ‖ canonical JSON)."""
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(prev_hash.encode() + body.encode("utf-8")).hexdigest()


class TestTheChain:
    def test_each_event_names_the_hash_of_the_one_before(self) -> None:
        events = life()
        assert events[0].prev_hash == GENESIS
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
        assert chain_breaks(events) == []

    def test_hash_is_sha256_of_prev_hash_and_the_canonical_event(self) -> None:
        for event in life()[1:]:
            record = event_record(event)
            content = {key: record[key] for key in ("type", "version", "occurred_at", "actor",
                                                    "data")}
            content["stream_id"] = record["stream_id"]
            assert event.hash == expected_hash(event.prev_hash, content)
            assert len(event.hash) == 64 and int(event.hash, 16) >= 0

    def test_recompute_hash_agrees_with_every_stored_hash(self) -> None:
        assert all(recompute_hash(e) == e.hash for e in life())

    @pytest.mark.parametrize("change", [{"actor": {"agency": "ref", "user": "mallory"}},
                                        {"timestamp": T0 + timedelta(days=1)},
                                        {"originator_version": 9}])
    def test_the_envelope_is_covered_too(self, change: dict[str, Any]) -> None:
        accepted = life()[1]
        assert recompute_hash(with_fields(accepted, **change)) != accepted.hash

    def test_the_aggregate_remembers_its_chain_head(self) -> None:
        referral = Referral.submit(id=uuid.uuid4(), caller=caller("ref"), at=T0, **submission())
        referral.accept(caller("rec"), at=T0)
        assert referral.chain_head == referral.collect_events()[-1].hash

    def test_a_reloaded_aggregate_continues_the_chain(self) -> None:
        app = memory_application()
        register_world(app, ["ref", "rec"])
        referral, _ = app.submit_referral(caller("ref"), submission())
        app.act_on_referral(caller("rec"), referral.id, "accept", {})
        app.act_on_referral(caller("ref"), referral.id, "notes", payload("notes"))
        events = app.history(referral.id)
        assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
        assert chain_breaks(events) == []


class TestPersonalDigests:
    def test_personal_fields_enter_the_hash_as_a_salted_digest(self) -> None:
        submitted = life()[0]
        content = hashed_content(
            event_type="referral.submitted", stream_id=str(submitted.originator_id), version=1,
            occurred_at=submitted.timestamp, actor=submitted.actor,
            data={"subject": submitted.subject}, personal=("subject",), salt=submitted.pd_salt)
        digest = hashlib.sha256(submitted.pd_salt.encode() + b"\x00"
                                + canonical_json(submitted.subject)).hexdigest()
        assert content["data"]["subject"] == {"$digest": digest}
        assert submitted.subject["id_number"].encode() not in canonical_json(content)
        assert submitted.pd_salt.encode() not in canonical_json(content)

    def test_the_same_person_gets_a_different_digest_in_every_event(self) -> None:
        first, second = life()[0], life()[0]
        assert first.subject == second.subject and first.pd_salt != second.pd_salt
        assert len(first.pd_salt) == 32
        assert (personal_digest(first.pd_salt, first.subject)
                != personal_digest(second.pd_salt, second.subject))

    def test_events_without_personal_fields_carry_no_salt(self) -> None:
        assert [e.pd_salt == "" for e in life()] == [False, True, True, True, True]

    def test_a_shredded_event_still_verifies_without_its_salt(self) -> None:
        submitted = life()[0]
        shredded = with_fields(submitted, subject=personal_digest(submitted.pd_salt,
                                                                  submitted.subject), pd_salt="")
        assert recompute_hash(shredded) == submitted.hash

    def test_a_changed_person_does_not_verify(self) -> None:
        submitted = life()[0]
        forged = with_fields(submitted, subject={**submitted.subject, "name": "Someone Else"})
        assert recompute_hash(forged) != submitted.hash

    def test_a_wrong_salt_does_not_verify_data_in_clear(self) -> None:
        submitted = life()[0]
        assert recompute_hash(with_fields(submitted, pd_salt="0" * 32)) != submitted.hash


class TestCanonicalForm:
    def test_canonical_json_is_sorted_compact_utf8(self) -> None:
        assert canonical_json({"b": 1, "a": ["李", None]}) == '{"a":["李",null],"b":1}'.encode()

    def test_canonical_json_refuses_nan(self) -> None:
        with pytest.raises(ValueError):
            canonical_json({"x": float("nan")})

    def test_times_are_utc_with_microseconds(self) -> None:
        beijing = timezone(timedelta(hours=8))
        assert format_time(datetime(2024, 3, 1, 16, 0, 0, 5, tzinfo=beijing)) == (
            "2024-03-01T08:00:00.000005Z")

    @given(st.datetimes(timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-11, minutes=-30))])))
    def test_fast_time_format_is_strftimes(self, moment: datetime) -> None:
        """format_time writes with isoformat; hashed content was defined by strftime."""
        try:
            utc = moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01 at +08:00 has no UTC time: neither writes it
            return
        assert format_time(moment) == utc.strftime(TIME_FORMAT)

    def test_years_before_1000_as_strftime_writes_them(self) -> None:
        assert format_time(datetime(999, 1, 2, tzinfo=UTC)) == "999-01-02T00:00:00.000000Z"
