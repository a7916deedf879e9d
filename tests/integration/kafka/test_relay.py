"""The relay against a real broker: routing, masking, resuming, and a producer that wedges."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from adapters.kafka.clients import KafkaConfig
from adapters.kafka.relay import Relay, relay_status
from adapters.kafka.topics import agency_topic, events_topic
from domain.application import HubApplication
from tests.integration.kafka.world import (
    Message,
    read_topic,
    referral_fields,
    staff,
)
from tests.kafka_broker import Broker, wait_for

pytestmark = pytest.mark.kafka


@contextmanager
def running(relay: Relay) -> Iterator[Relay]:
    """The relay in a thread, stopped (as SIGTERM would) on leaving."""
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive()


def drained(app: HubApplication, relay: Relay) -> bool:
    return relay.stats.position == (app.recorder.max_notification_id() or 0)


def ids(records: list[Message]) -> list[str]:
    return [r.value["id"] for r in records]


def story(app: HubApplication) -> tuple[str, str, str]:
    """school-a refers to civil-b, which redirects to proc-c, which accepts; returns canaries."""
    a_number, b_number = "420801201001011234", "420801201202025678"
    first, _ = app.submit_referral(staff("school-a"), referral_fields("civil-b", a_number))
    app.act_on_referral(staff("civil-b"), first.id, "redirect",
                        {"to_agency": "proc-c", "reason": "Theirs."})
    app.act_on_referral(staff("proc-c"), first.id, "accept", {})
    second, _ = app.submit_referral(staff("civil-b"), referral_fields("station-e", b_number))
    return str(first.id), str(second.id), a_number


class TestRouting:
    def test_each_party_gets_its_streams_with_personal_data(
            self, hub_app: HubApplication, kafka_config: KafkaConfig) -> None:
        first, second, number = story(hub_app)
        with running(Relay(hub_app, kafka_config)) as relay:
            wait_for(lambda: drained(hub_app, relay), 30, "the relay to drain")
        topic = agency_topic(kafka_config.prefix, "civil-b")
        records = read_topic(kafka_config.bootstrap, topic,
                             lambda rs: {f"{first}:3", f"{second}:1"} <= set(ids(rs)))
        assert [i for i in ids(records) if i.startswith(first)] == [
            f"{first}:1", f"{first}:2", f"{first}:3"]  # redirected away, still a party
        submitted = next(r.value for r in records if r.value["id"] == f"{first}:1")
        assert submitted["data"]["data"]["subject"]["id_number"] == number

    def test_non_party_and_public_topics_hold_no_personal_data(
            self, hub_app: HubApplication, kafka_config: KafkaConfig) -> None:
        first, second, number = story(hub_app)
        with running(Relay(hub_app, kafka_config)) as relay:
            wait_for(lambda: drained(hub_app, relay), 30, "the relay to drain")
        public = read_topic(kafka_config.bootstrap, events_topic(kafka_config.prefix),
                            lambda rs: {f"{first}:3", f"{second}:1"} <= set(ids(rs)))
        assert number.encode() not in b"".join(r.raw for r in public)
        assert b"420801201202025678" not in b"".join(r.raw for r in public)
        station = read_topic(kafka_config.bootstrap, agency_topic(kafka_config.prefix,
                                                                   "station-e"),
                             lambda rs: f"{second}:1" in ids(rs))
        referrals = {r.value["streamid"] for r in station if r.value["type"].startswith("referral.")}
        assert referrals == {second}
        outsider = read_topic(kafka_config.bootstrap, agency_topic(kafka_config.prefix,
                                                                    "outsider-d"),
                              lambda rs: any(r.value["type"] == "agency.registered" for r in rs))
        assert {r.value["type"] for r in outsider} == {"agency.registered"}
        assert not any(r.value["type"].startswith("token.") for r in public)


class TestResuming:
    def test_a_restart_resumes_after_the_stored_position(
            self, hub_app: HubApplication, kafka_config: KafkaConfig) -> None:
        first, _ = hub_app.submit_referral(staff("school-a"), referral_fields("civil-b"))
        with running(Relay(hub_app, kafka_config)) as relay:
            wait_for(lambda: drained(hub_app, relay), 30, "the first run to drain")
        second, _ = hub_app.submit_referral(staff("school-a"), referral_fields("civil-b"))
        assert relay_status(hub_app, kafka_config.prefix)["lag"] == 1
        with running(Relay(hub_app, kafka_config)) as again:
            wait_for(lambda: drained(hub_app, again), 30, "the second run to drain")
            assert again.stats.published == 3  # public + both parties, for the new event only
        assert relay_status(hub_app, kafka_config.prefix)["lag"] == 0
        topic = agency_topic(kafka_config.prefix, "school-a")
        records = read_topic(kafka_config.bootstrap, topic, lambda rs: len(rs) >= 3)
        referrals = [r for r in records if r.value["type"].startswith("referral.")]
        assert sorted(ids(referrals)) == sorted([f"{first.id}:1", f"{second.id}:1"])


class TestWedge:
    def test_a_hung_broker_is_noticed_and_the_producer_rebuilt(
            self, hub_app: HubApplication, prefix: str, tmp_path: Path) -> None:
        broker = Broker(tmp_path).start()
        config = KafkaConfig(bootstrap=broker.bootstrap, prefix=prefix, send_timeout=2.0)
        try:
            with running(Relay(hub_app, config)) as relay:
                wait_for(lambda: drained(hub_app, relay), 30, "the relay to drain")
                assert broker.process is not None
                broker.process.send_signal(signal.SIGSTOP)  # the broker hangs
                hung, _ = hub_app.submit_referral(staff("school-a"), referral_fields("civil-b"))
                wait_for(lambda: relay.stats.rebuilds >= 1, 30, "a rebuilt producer")
                broker.process.send_signal(signal.SIGCONT)
                wait_for(lambda: drained(hub_app, relay), 60, "the relay to drain again")
            records = read_topic(broker.bootstrap, agency_topic(prefix, "civil-b"),
                                 lambda rs: f"{hung.id}:1" in ids(rs))  # fails if never there
            assert all(json.loads(r.raw)["specversion"] == "1.0" for r in records)
        finally:
            broker.stop()
