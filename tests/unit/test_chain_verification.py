"""Chains verified from stored state (as `hub verify` does), survival of shredding, replay."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from domain.application import HubApplication
from domain.chain import personal_digest
from domain.errors import NotFound
from domain.referral import Referral
from domain.verification import ChainVerifier, link_of
from projections.audit.log import Decoder, batches, chained_class
from projections.audit.replay import replay_stream
from tests.conftest import memory_application
from tests.referral_world import caller, payload, register_world, submission, with_clock


@pytest.fixture
def app() -> HubApplication:
    application = memory_application()
    register_world(application, ["ref", "rec", "alt"])
    return application


def busy_referral(app: HubApplication, notes: int = 3) -> Referral:
    referral, _ = app.submit_referral(caller("ref"), submission())
    app.act_on_referral(caller("rec"), referral.id, "accept", payload("accept"))
    for _ in range(notes):
        app.act_on_referral(caller("rec"), referral.id, "notes", payload("notes"))
    return app.load(referral.id, Referral)


def stored(app: HubApplication) -> list[tuple[int, str, int, str, bytes]]:
    return [row for found in batches(app) for row in found]


class TestChainFromStoredState:
    def test_every_stored_event_verifies_in_log_order(self, app: HubApplication) -> None:
        busy_referral(app)
        verifier, decoder = ChainVerifier(), Decoder(app)
        problems = [verifier.check(decoder.link(row)) for row in stored(app)]
        assert problems == [None] * len(problems)
        assert verifier.events_checked == len(problems) and verifier.streams_checked >= 4

    def test_a_shredded_subject_still_verifies(self, app: HubApplication) -> None:
        referral = busy_referral(app, notes=0)
        row = next(r for r in stored(app) if r[1] == str(referral.id) and r[2] == 1)
        state = Decoder(app).state(row[4])
        shredded = {**state, "subject": personal_digest(state["pd_salt"], state["subject"])}
        cls = chained_class(row[3])
        assert ChainVerifier().check(link_of(row[0], row[1], 1, cls, shredded)) is None

    def test_a_changed_field_or_a_foreign_stream_breaks_it(self, app: HubApplication) -> None:
        referral = busy_referral(app, notes=0)
        row = next(r for r in stored(app) if r[1] == str(referral.id) and r[2] == 1)
        state, cls = Decoder(app).state(row[4]), chained_class(row[3])
        edited = {**state, "reason": "something else"}
        assert "hash does not match" in str(
            ChainVerifier().check(link_of(row[0], row[1], 1, cls, edited)))
        other = "00000000-0000-4000-8000-000000000000"
        moved = ChainVerifier().check(link_of(row[0], other, 1, cls, state))
        assert "hash does not match" in str(moved)

    def test_a_gap_in_versions_is_named(self, app: HubApplication) -> None:
        referral = busy_referral(app)
        rows = [r for r in stored(app) if r[1] == str(referral.id)]
        verifier, decoder = ChainVerifier(), Decoder(app)
        verifier.check(decoder.link(rows[0]))
        assert "expected version 2" in str(verifier.check(decoder.link(rows[2])))


class TestAsOfAndReplay:
    def test_as_of_finds_the_last_version_at_each_moment(self, app: HubApplication) -> None:
        clock = with_clock(app)
        referral = busy_referral(app, notes=40)
        events = app.history(referral.id)
        for event in events[::7]:
            found = app.as_of(referral.id, Referral, event.timestamp + timedelta(milliseconds=1))
            assert found.version == event.originator_version
        with pytest.raises(NotFound):
            app.as_of(referral.id, Referral, events[0].timestamp - timedelta(seconds=1))
        assert app.as_of(referral.id, Referral, clock.now).version == referral.version

    def test_replay_prints_state_and_events_up_to_a_version(self, app: HubApplication) -> None:
        referral = busy_referral(app, notes=2)
        result = replay_stream(app, str(referral.id), version=3)
        assert result["version"] == 3 and result["current_version"] == 4
        assert result["state"]["status"] == "accepted" and len(result["state"]["notes"]) == 1
        assert [e["version"] for e in result["events"]] == [1, 2, 3]
        assert result["verified"] is True
        json.dumps(result, ensure_ascii=False)

    def test_replay_as_of_and_its_refusals(self, app: HubApplication) -> None:
        with_clock(app)
        referral = busy_referral(app, notes=1)
        second = app.history(referral.id)[1].timestamp
        result: dict[str, Any] = replay_stream(app, str(referral.id), as_of=second)
        assert result["version"] == 2
        with pytest.raises(NotFound):
            replay_stream(app, str(referral.id), version=9)
        with pytest.raises(NotFound):
            replay_stream(app, "not-a-stream")


def test_the_fast_content_hash_is_the_chain_hash(app: HubApplication) -> None:
    from domain.chain import chain_hash
    from domain.verification import content_hash

    busy_referral(app, notes=1)
    decoder = Decoder(app)
    for row in stored(app):
        link = decoder.link(row)
        assert content_hash(link.prev_hash, link.content) == chain_hash(link.prev_hash,
                                                                        link.content)
    odd = {"text": "张三\u2028\n\"", "n": 1.5, "nested": {"b": [1, None, True], "a": "x"}}
    assert content_hash("ab", odd) == chain_hash("ab", odd)
