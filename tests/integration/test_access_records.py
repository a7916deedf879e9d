"""Access records appended from the log's tail, on every store: chained, complete, cheap."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.domain import CanMutateProtocol

from domain.access import AccessLog, access_log_id
from domain.application import HubApplication
from domain.presentation import chain_breaks
from domain.referral import Referral
from projections.audit.history import access_log
from tests.referral_world import caller, submission

REF, REC = caller("ref"), caller("rec")


@pytest.fixture
def referral(app: HubApplication) -> Referral:
    submitted, _ = app.submit_referral(REF, submission())
    return submitted


def read_times(app: HubApplication, referral: Referral, times: int) -> None:
    for n in range(times):
        app.record_access(REC if n % 2 else REF, referral.id, "referral", purpose=f"read {n}")


class TestTailAppend:
    def test_every_read_follows_the_last_in_one_unbroken_chain(
            self, app: HubApplication, referral: Referral) -> None:
        read_times(app, referral, 60)
        events = app.history(access_log_id(referral.id))
        assert [e.originator_version for e in events] == list(range(1, 62))
        assert type(events[0]) is AccessLog.Opened and chain_breaks(events) == []
        listed = access_log(app, caller("rec", "admin"), str(referral.id), "referral")
        assert listed["verified"] is True
        assert [r["purpose"] for r in listed["reads"]] == [f"read {n}" for n in range(60)]
        assert listed["reads"][1]["actor"] == REC.actor

    def test_the_log_still_loads_as_an_aggregate(self, app: HubApplication,
                                                 referral: Referral) -> None:
        read_times(app, referral, 3)
        log = app.load(access_log_id(referral.id), AccessLog)
        assert log.version == 4 and [r["purpose"] for r in log.reads] == ["read 0", "read 1",
                                                                           "read 2"]

    def test_recording_decodes_only_the_last_stored_event(
            self, app: HubApplication, referral: Referral, monkeypatch: pytest.MonkeyPatch) -> None:
        read_times(app, referral, 120)
        decoded: list[Any] = []
        decode = app.mapper.to_domain_event
        monkeypatch.setattr(app.mapper, "to_domain_event",
                            lambda stored: decoded.append(stored) or decode(stored))
        app.record_access(REC, referral.id, "referral")
        assert len(decoded) == 1  # the log's tail, however many reads came before

    def test_no_snapshot_holds_the_reads(self, app: HubApplication, referral: Referral) -> None:
        read_times(app, referral, 55)
        assert app.snapshots is not None
        assert list(app.snapshots.get(access_log_id(referral.id))) == []

    def test_a_log_snapshotted_before_continues_its_chain(self, app: HubApplication,
                                                          referral: Referral) -> None:
        # Logs written by earlier releases were saved whole and snapshotted every 50 reads.
        log = AccessLog.open(referral.id, "referral", at=app.clock())
        for n in range(55):
            log.record(REF, at=app.clock(), purpose=f"old {n}", view="current")
        app.save(log)
        app.take_snapshot(log.id, version=51)
        app.record_access(REC, referral.id, "referral", purpose="new")
        events = app.history(log.id)
        assert len(events) == 57 and chain_breaks(events) == []
        reloaded = app.load(log.id, AccessLog)
        assert reloaded.version == 57 and reloaded.reads[-1]["purpose"] == "new"


class TestLoading:
    def test_loading_replays_without_a_runtime_protocol_check_per_event(
            self, app: HubApplication, referral: Referral, monkeypatch: pytest.MonkeyPatch) -> None:
        app.act_on_referral(REC, referral.id, "accept", {})
        for n in range(30):
            app.act_on_referral(REF, referral.id, "notes", {"text": f"note {n}"})
        by_the_library = app.repository.get(referral.id)
        checks: list[Any] = []
        meta = type(CanMutateProtocol)
        check = meta.__instancecheck__
        monkeypatch.setattr(meta, "__instancecheck__",
                            lambda cls, obj: checks.append(cls) or check(cls, obj))
        loaded = app.load(referral.id, Referral)
        assert checks == [] and loaded.version == 32 and loaded == by_the_library
