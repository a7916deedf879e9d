"""Fault tests of the relay: kill -9 while events pour in, and a broker that goes away."""

from __future__ import annotations

import random
import signal
import threading
from pathlib import Path

import pytest

from adapters.kafka.relay import relay_status
from adapters.kafka.topics import agency_topic, events_topic
from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from tests.integration.kafka.world import (
    AGENCIES,
    Message,
    end_offsets_total,
    kill9,
    read_topic,
    referral_fields,
    register_agencies,
    staff,
    start_hub,
    terminate,
)
from tests.kafka_broker import Broker, wait_for
from tests.stores import TEST_CIPHER_KEY

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

EVENTS = 10_000
RECEIVERS = ["civil-b", "proc-c", "station-e"]


class Ledger:
    """The test's own record of what was written: the oracle the topics are checked against."""

    def __init__(self) -> None:
        self.parties: dict[str, list[list[str]]] = {}  # stream -> parties after each version
        self.canaries: list[str] = []

    def events(self) -> int:
        return sum(len(v) for v in self.parties.values())

    def expected(self, agency: str) -> set[str]:
        return {f"{s}:{i + 1}" for s, versions in self.parties.items()
                for i, parties in enumerate(versions) if agency in parties}


def write_story(app: HubApplication, ledger: Ledger, n: int) -> None:
    """Referral n: submitted, sometimes redirected, accepted, sometimes noted."""
    number = f"4208{n:014d}"
    ledger.canaries.append(number)
    to = RECEIVERS[n % 3]
    referral, _ = app.submit_referral(staff("school-a"), referral_fields(to, number))
    stream, parties = str(referral.id), ["school-a", to]
    ledger.parties[stream] = [list(parties)]
    if n % 4 == 0:
        onward = RECEIVERS[(n + 1) % 3]
        app.act_on_referral(staff(to), stream, "redirect", {"to_agency": onward, "reason": "r"})
        parties.append(onward)
        ledger.parties[stream].append(list(parties))
        to = onward
    app.act_on_referral(staff(to), stream, "accept", {})
    ledger.parties[stream].append(list(parties))
    if n % 2 == 0:
        app.act_on_referral(staff("school-a"), stream, "notes", {"text": "seen"})
        ledger.parties[stream].append(list(parties))


def writer(settings: Settings, ledger: Ledger, done: threading.Event) -> None:
    app = open_application(settings)
    try:
        n = 0
        while ledger.events() < EVENTS:
            write_story(app, ledger, n)
            n += 1
    finally:
        app.close()
        done.set()


def check_topic(records: list[Message], expected: set[str]) -> None:
    """Everything expected is there, nothing else of those streams; duplicates are identical;
    per stream, versions follow on from where the agency became a party, with no gaps."""
    first: dict[str, int] = {}
    for event_id in expected:
        stream, version = event_id.split(":")
        first[stream] = min(first.get(stream, int(version)), int(version))
    seen: dict[str, bytes] = {}
    last: dict[str, int] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        value = record.value
        assert seen.setdefault(value["id"], record.raw) == record.raw, "a resend differs"
        stream, version = value["streamid"], value["streamversion"]
        assert record.key == stream.encode()
        previous = last.get(stream, first.get(stream, 1) - 1)
        assert version <= previous + 1, f"{stream} v{version} after v{previous}"
        last[stream] = max(previous, version)
    assert expected <= set(seen), f"missing: {sorted(expected - set(seen))[:5]}"
    assert set(seen) <= expected, f"off its topic: {sorted(set(seen) - expected)[:5]}"


def read_expected(bootstrap: str, topic: str, expected: set[str]) -> list[Message]:
    """The topic read until every expected event is there (end offsets of tansu under-count
    after resends, so they cannot say when a topic has been read to its end)."""
    least = end_offsets_total(bootstrap, topic)
    return read_topic(bootstrap, topic, lambda rs: len(rs) >= least
                      and expected <= {r.value["id"] for r in rs}, timeout=120)


def check_all_topics(bootstrap: str, prefix: str, ledger: Ledger) -> None:
    every = {f"{s}:{i + 1}" for s, v in ledger.parties.items() for i in range(len(v))}
    public = read_expected(bootstrap, events_topic(prefix), every)
    check_topic([r for r in public if r.value["type"].startswith("referral.")], every)
    blob = b"".join(r.raw for r in public)
    assert not [c for c in ledger.canaries if c.encode() in blob], "a canary on the public topic"
    for agency in AGENCIES:
        expected = ledger.expected(agency)
        records = read_expected(bootstrap, agency_topic(prefix, agency), expected)
        referrals = [r for r in records if r.value["type"].startswith("referral.")]
        check_topic(referrals, expected)
        assert {r.value["streamid"] for r in referrals} <= set(ledger.parties)


def test_relay_killed_ten_times_while_10k_events_are_published(
        hub_app: HubApplication, hub_settings: Settings, tmp_path: Path) -> None:
    ledger, done, rng = Ledger(), threading.Event(), random.Random()
    thread = threading.Thread(target=writer, args=(hub_settings, ledger, done), daemon=True)
    thread.start()
    log = tmp_path / "relay.log"
    for _ in range(10):
        relay = start_hub(hub_settings, "kafka", "relay", "--batch-size", "200", log=log)
        before = relay_status(hub_app, hub_settings.kafka_topic_prefix)["position"]
        wait_for(lambda last=before: relay_status(hub_app, hub_settings.kafka_topic_prefix)[
            "position"] > last, 60, "the relay to make progress")
        threading.Event().wait(rng.uniform(0, 0.6))  # a random moment while it publishes
        kill9(relay)
    wait_for(done.is_set, 300, "the writer to finish")
    relay = start_hub(hub_settings, "kafka", "relay", log=log)
    wait_for(lambda: relay_status(hub_app, hub_settings.kafka_topic_prefix)["lag"] == 0, 120,
             "the relay to drain")
    assert terminate(relay) == 0
    assert ledger.events() >= EVENTS
    check_all_topics(hub_settings.kafka_bootstrap or "", hub_settings.kafka_topic_prefix, ledger)


def test_broker_down_while_clients_submit_then_the_relay_drains(
        tmp_path: Path, prefix: str) -> None:
    """The broker stops answering (SIGSTOP: unreachable, its memory kept) for a long outage."""
    broker = Broker(tmp_path).start()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                        cipher_key=TEST_CIPHER_KEY, kafka_bootstrap=broker.bootstrap,
                        kafka_topic_prefix=prefix)
    app = open_application(settings, create_tables=True)
    register_agencies(app)
    ledger = Ledger()
    relay = start_hub(settings, "kafka", "relay", "--send-timeout", "3", log=tmp_path / "r.log")
    try:
        for n in range(40):
            write_story(app, ledger, n)
        wait_for(lambda: relay_status(app, prefix)["lag"] == 0, 60, "the first drain")
        assert broker.process is not None
        broker.process.send_signal(signal.SIGSTOP)
        for n in range(40, 400):  # every submission succeeds while the broker is away
            write_story(app, ledger, n)
        assert relay_status(app, prefix)["lag"] > 0
        broker.process.send_signal(signal.SIGCONT)
        wait_for(lambda: relay_status(app, prefix)["lag"] == 0, 120, "the backlog to drain")
        assert terminate(relay) == 0
        check_all_topics(broker.bootstrap, prefix, ledger)
    finally:
        if relay.poll() is None:
            kill9(relay)
        app.close()
        broker.stop()
