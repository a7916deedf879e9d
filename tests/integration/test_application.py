"""The application (service layer) on every store: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

import pytest

from domain.application import HubApplication
from domain.base import Caller
from domain.errors import Invalid, InvalidTransition, NotFound, NotPermitted, VersionMismatch
from domain.presentation import chain_breaks
from domain.referral import Referral
from domain.referral_service import ACTIONS
from tests.referral_world import (
    HUB_ADMIN,
    STATUSES,
    Clock,
    caller,
    inspector,
    payload,
    submission,
    walk,
)

REF, REC = caller("ref"), caller("rec")


def submit(app: HubApplication, who: Caller = REF, **overrides: Any) -> Referral:
    referral, is_new = app.submit_referral(who, submission(**overrides))
    assert is_new
    return referral


def in_status(app: HubApplication, status: str) -> Referral:
    referral = submit(app)
    walk(lambda who, action, body: app.act_on_referral(who, referral.id, action, body),
         status, REF, REC)
    return app.get_referral(REF, referral.id)


class TestSubmitReferral:
    def test_both_parties_see_the_new_referral(self, app: HubApplication) -> None:
        referral = submit(app)
        for who in (REF, REC):
            seen = app.get_referral(who, str(referral.id))
            assert (seen.status, seen.version, seen.parties) == ("submitted", 1, ["ref", "rec"])

    def test_a_body_naming_another_referrer_is_refused(self, app: HubApplication) -> None:
        with pytest.raises(NotPermitted):
            app.submit_referral(REF, {**submission(), "from_agency": "alt"})

    def test_naming_its_own_agency_as_referrer_is_accepted(self, app: HubApplication) -> None:
        referral, _ = app.submit_referral(REF, {**submission(), "from_agency": "ref"})
        assert referral.from_agency == "ref"

    @pytest.mark.parametrize("to_agency", ["ref", "no-such-agency"])
    def test_receiver_must_be_another_registered_agency(self, app: HubApplication,
                                                        to_agency: str) -> None:
        with pytest.raises(Invalid) as refused:
            app.submit_referral(REF, submission(to_agency))
        assert "to_agency" in refused.value.errors

    @pytest.mark.parametrize("who", [HUB_ADMIN, inspector("ref"), inspector("insp-hubei")])
    def test_hub_admin_and_inspectors_do_not_submit(self, app: HubApplication,
                                                    who: Caller) -> None:
        with pytest.raises(NotPermitted):
            app.submit_referral(who, submission())

    def test_an_inspector_reusing_its_agencys_key_is_still_refused(
        self, app: HubApplication
    ) -> None:
        app.submit_referral(REF, submission(), idempotency_key="k-1")
        with pytest.raises(NotPermitted):
            app.submit_referral(inspector("ref"), submission(), idempotency_key="k-1")


class TestIdempotencyKey:
    def test_same_key_same_body_returns_the_first_referral(self, app: HubApplication) -> None:
        first, new = app.submit_referral(REF, submission(), idempotency_key="key-1")
        app.act_on_referral(REC, first.id, "accept", payload("accept"))
        again, repeated_new = app.submit_referral(REF, submission(), idempotency_key="key-1")
        assert (new, repeated_new) == (True, False)
        assert again.id == first.id and again.version == 1
        assert len(app.history(first.id)) == 2

    def test_same_key_different_body_is_invalid_on_the_key(self, app: HubApplication) -> None:
        app.submit_referral(REF, submission(), idempotency_key="key-1")
        with pytest.raises(Invalid) as refused:
            app.submit_referral(REF, submission(reason="another"), idempotency_key="key-1")
        assert "Idempotency-Key" in refused.value.errors

    def test_keys_are_per_agency(self, app: HubApplication) -> None:
        mine, _ = app.submit_referral(REF, submission(), idempotency_key="key-1")
        theirs, new = app.submit_referral(caller("alt"), submission(), idempotency_key="key-1")
        assert new and theirs.id != mine.id and theirs.from_agency == "alt"
        with pytest.raises(NotFound):
            app.get_referral(caller("alt"), mine.id)


class TestVisibility:
    @pytest.mark.parametrize("status", STATUSES)
    def test_a_non_party_is_told_nothing_exists(self, app: HubApplication, status: str) -> None:
        referral = in_status(app, status)
        strangers = (caller("outsider"), caller("alt", "admin"), HUB_ADMIN,
                     inspector("insp-jing"), inspector("insp-wuhan"))
        for who, action in itertools.product(strangers, ACTIONS):
            with pytest.raises(NotFound):
                app.act_on_referral(who, referral.id, action, payload(action))
            with pytest.raises(NotFound):
                app.get_referral(who, referral.id)
        assert app.get_referral(REF, referral.id).version == referral.version

    def test_a_non_party_gets_not_found_before_version_mismatch(self,
                                                                app: HubApplication) -> None:
        referral = submit(app)
        with pytest.raises(NotFound):
            app.act_on_referral(caller("outsider"), referral.id, "accept", {},
                                expected_version=99)

    @pytest.mark.parametrize(("slug", "sees"), [
        ("insp-jingmen", True), ("insp-hubei", True), ("insp-jing", False),
        ("insp-wuhan", False)])
    def test_inspectors_see_by_jurisdiction_prefix(self, app: HubApplication, slug: str,
                                                   sees: bool) -> None:
        referral = submit(app)
        if sees:
            assert app.get_referral(inspector(slug), referral.id).id == referral.id
            with pytest.raises(NotPermitted):
                app.act_on_referral(inspector(slug), referral.id, "accept", {})
        else:
            with pytest.raises(NotFound):
                app.get_referral(inspector(slug), referral.id)

    def test_an_inspector_sees_a_referral_redirected_into_its_area(self,
                                                                   app: HubApplication) -> None:
        referral = submit(app)
        app.act_on_referral(REC, referral.id, "redirect", payload("redirect", to_agency="outsider"))
        assert app.get_referral(inspector("insp-wuhan"), referral.id).to_agency == "outsider"

    def test_a_redirected_away_agency_still_sees_it_but_may_not_act(self,
                                                                    app: HubApplication) -> None:
        referral = submit(app)
        app.act_on_referral(REC, referral.id, "redirect", payload("redirect"))
        seen = app.get_referral(REC, referral.id)
        assert (seen.to_agency, seen.parties) == ("alt", ["ref", "rec", "alt"])
        for action in ACTIONS:
            with pytest.raises(NotPermitted):
                app.act_on_referral(REC, referral.id, action, payload(action, to_agency="third"))


class TestActOnReferral:
    def test_unknown_action_and_unknown_id_are_not_found(self, app: HubApplication) -> None:
        referral = submit(app)
        with pytest.raises(NotFound):
            app.act_on_referral(REC, referral.id, "approve", {})
        for bad in (str(uuid.uuid4()), "not-a-uuid"):
            with pytest.raises(NotFound):
                app.act_on_referral(REC, bad, "accept", {})

    def test_invalid_transition_names_status_and_allowed_actions(self,
                                                                 app: HubApplication) -> None:
        referral = in_status(app, "completed")
        with pytest.raises(InvalidTransition) as refused:
            app.act_on_referral(REC, referral.id, "accept", {})
        assert refused.value.status == "completed"
        assert set(refused.value.allowed) == {"acknowledge", "reopen"}
        assert "completed" in refused.value.detail and "reopen" in refused.value.detail

    def test_expected_version_is_honoured(self, app: HubApplication) -> None:
        referral = submit(app)
        with pytest.raises(VersionMismatch) as refused:
            app.act_on_referral(REC, referral.id, "accept", {}, expected_version=2)
        assert refused.value.current == 1
        accepted = app.act_on_referral(REC, referral.id, "accept", {}, expected_version=1)
        assert (accepted.status, accepted.version) == ("accepted", 2)

    def test_redirect_to_an_unknown_agency_is_invalid(self, app: HubApplication) -> None:
        referral = submit(app)
        with pytest.raises(Invalid) as refused:
            app.act_on_referral(REC, referral.id, "redirect", payload("redirect", to_agency="x"))
        assert "to_agency" in refused.value.errors

    def test_referrer_redirecting_is_not_permitted_whatever_the_target(
        self, app: HubApplication
    ) -> None:
        referral = submit(app)
        with pytest.raises(NotPermitted):
            app.act_on_referral(REF, referral.id, "redirect", payload("redirect", to_agency="x"))

    def test_a_full_life_ends_closed(self, app: HubApplication) -> None:
        referral = in_status(app, "closed")
        assert (referral.status, referral.version) == ("closed", 4)


class TestReadsThen:
    def test_version_reads_give_the_state_then(self, app: HubApplication) -> None:
        referral = in_status(app, "completed")
        assert app.get_referral(REF, referral.id, version=1).status == "submitted"
        assert app.get_referral(REF, referral.id, version=2).status == "accepted"
        assert app.get_referral(REF, referral.id, version=3).status == "completed"
        for missing in (0, 4, -1):
            with pytest.raises(NotFound):
                app.get_referral(REF, referral.id, version=missing)

    def test_as_of_reads_give_the_state_then(self, app: HubApplication) -> None:
        clock = app.clock
        assert isinstance(clock, Clock)
        referral = submit(app)
        submitted_at = clock.now
        clock.advance(hours=1)
        app.act_on_referral(REC, referral.id, "accept", {})
        with pytest.raises(NotFound):
            app.get_referral(REF, referral.id, as_of=submitted_at - timedelta(microseconds=1))
        assert app.get_referral(REF, referral.id, as_of=submitted_at).version == 1
        halfway = submitted_at + timedelta(minutes=30)
        assert app.get_referral(REF, referral.id, as_of=halfway).status == "submitted"
        assert app.get_referral(REF, referral.id, as_of=clock.now).status == "accepted"

    def test_as_of_without_a_time_zone_is_read_as_utc(self, app: HubApplication) -> None:
        clock = app.clock
        assert isinstance(clock, Clock)
        referral = submit(app)
        naive = clock.now.replace(tzinfo=None)
        assert app.get_referral(REF, referral.id, as_of=naive).version == 1

    def test_reads_before_existence_of_a_hidden_referral_are_not_found(
        self, app: HubApplication
    ) -> None:
        referral = submit(app)
        with pytest.raises(NotFound):
            app.get_referral(caller("outsider"), referral.id, version=1)


class TestHistory:
    def test_history_is_in_order_and_chained(self, app: HubApplication) -> None:
        referral = in_status(app, "closed")
        events = app.history(referral.id)
        assert [e.originator_version for e in events] == [1, 2, 3, 4]
        assert [type(e).TYPE for e in events] == [
            "referral.submitted", "referral.accepted", "referral.completed",
            "referral.outcome_acknowledged"]
        assert [e.actor["agency"] for e in events] == ["ref", "rec", "rec", "ref"]
        assert chain_breaks(events) == []


class TestSnapshots:
    def test_long_streams_load_from_a_snapshot_identical_to_a_full_replay(
        self, app: HubApplication
    ) -> None:
        referral = in_status(app, "accepted")
        for n in range(60):
            app.act_on_referral(REF if n % 2 else REC, referral.id, "notes", {"text": f"n{n}"})
        assert app.snapshots is not None
        snapshots = list(app.snapshots.get(referral.id))
        assert [s.originator_version for s in snapshots] == [50]
        replayed: Any = None
        for event in app.history(referral.id):
            replayed = event.mutate(replayed)
        loaded = app.get_referral(REF, referral.id)
        now = app.clock()
        assert loaded.version == replayed.version == 62
        assert loaded.view(now) == replayed.view(now)
        assert loaded.chain_head == replayed.chain_head == app.history(referral.id)[-1].hash
        at_55 = app.get_referral(REF, referral.id, version=55)
        assert [n["text"] for n in at_55.notes] == [f"n{n}" for n in range(53)]
