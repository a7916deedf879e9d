"""The ingest against a real broker: commands from agencies' topics, results, poison, repeats."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from kafka import KafkaProducer

from adapters.kafka.clients import KafkaConfig
from adapters.kafka.ingest import Ingest
from adapters.kafka.topics import inbound_topic, results_topic
from domain.application import HubApplication
from domain.referral import Referral
from hub.cli.kafka import rest_validator
from tests.integration.kafka.world import HUB_ADMIN, Message, read_topic, referral_fields
from tests.kafka_broker import wait_for

pytestmark = pytest.mark.kafka


@contextmanager
def ingesting(app: HubApplication, config: KafkaConfig) -> Iterator[Ingest]:
    """The ingest in a thread, following registered agencies every half second."""
    worker = Ingest(app, config, rest_validator, refresh_seconds=0.5)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: worker.topics, 30, "the ingest to subscribe")
        yield worker
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive()


def send(config: KafkaConfig, agency: str, *messages: Any) -> None:
    """What an agency's own system does: plain kafka-python, JSON values."""
    producer = KafkaProducer(bootstrap_servers=[config.bootstrap], acks="all")
    for message in messages:
        raw = message if isinstance(message, bytes) else json.dumps(message).encode()
        producer.send(inbound_topic(config.prefix, agency), raw)
    producer.flush(10)
    producer.close()


def results(config: KafkaConfig, agency: str, **expected: int) -> dict[str, list[Any]]:
    """Results on the agency's results topic by command id (`None` for unreadable ones),
    read until each id in `expected` (None as "none") has at least that many."""
    def grouped(records: list[Message]) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for record in sorted(records, key=lambda r: (r.partition, r.offset)):
            found.setdefault(str(record.value["command_id"]), []).append(record.value)
        return found

    records = read_topic(config.bootstrap, results_topic(config.prefix, agency), lambda rs: all(
        len(grouped(rs).get(k, [])) >= n for k, n in expected.items()))
    return grouped(records)


def submit(command_id: str, **fields: Any) -> dict[str, Any]:
    return {"command_id": command_id, "type": "submit_referral",
            "payload": {**referral_fields("civil-b"), **fields}}


class TestCommands:
    def test_a_referral_is_submitted_answered_and_repeats_change_nothing(
            self, hub_app: HubApplication, kafka_config: KafkaConfig) -> None:
        submission = submit("c-1")
        with ingesting(hub_app, kafka_config):
            send(kafka_config, "school-a", submission)
            [submitted] = results(kafka_config, "school-a", **{"c-1": 1})["c-1"]
            assert submitted["ok"] and submitted["status"] == "submitted"
            referral_id = submitted["referral_id"]
            accept = {"command_id": "c-9", "type": "accept", "referral_id": referral_id,
                      "payload": {"assignee": "worker-7"}}
            send(kafka_config, "civil-b", accept, accept)
            send(kafka_config, "school-a", submission)
            first, again = results(kafka_config, "civil-b", **{"c-9": 2})["c-9"]
            assert (first["ok"], first["status"], first["repeated"]) == (True, "accepted", False)
            assert (again["ok"], again["status"], again["repeated"]) == (True, "accepted", True)
            repeat = results(kafka_config, "school-a", **{"c-1": 2})["c-1"][1]
        assert repeat.get("referral_id") == referral_id and repeat["repeated"] is True, repeat
        referral = hub_app.load(referral_id, Referral)
        assert (referral.version, referral.status, referral.from_agency) == (2, "accepted",
                                                                            "school-a")
        assert referral.assignee == "worker-7"

    def test_the_agency_is_the_topics_never_the_payloads(
            self, hub_app: HubApplication, kafka_config: KafkaConfig) -> None:
        with ingesting(hub_app, kafka_config):
            send(kafka_config, "school-a", submit("c-1", from_agency="proc-c"))
            [refused] = results(kafka_config, "school-a", **{"c-1": 1})["c-1"]
            send(kafka_config, "school-a", submit("c-2"))
            referral_id = results(kafka_config, "school-a", **{"c-2": 1})["c-2"][0]["referral_id"]
            send(kafka_config, "outsider-d", {"command_id": "x", "type": "accept",
                                              "referral_id": referral_id, "payload": {}})
            [hidden] = results(kafka_config, "outsider-d", x=1)["x"]
        assert (refused["ok"], refused["problem"]["status"]) == (False, 403)
        assert (hidden["ok"], hidden["problem"]["status"]) == (False, 404)


class TestPoison:
    def test_bad_messages_get_problems_and_never_stop_the_partition(
            self, hub_app: HubApplication, kafka_config: KafkaConfig) -> None:
        bad_payload = submit("p-4")
        bad_payload["payload"]["subject"] = {"id_number": "1"}
        not_unicode = submit("p-6")
        not_unicode["payload"]["reason"] = "\ud800 asks for help"  # json writes it as an escape
        with ingesting(hub_app, kafka_config):
            send(kafka_config, "school-a", b"\xff not json", b"[1, 2]", b"[" * 100_000,
                 {"command_id": "p-3", "type": "launch", "payload": {}, "extra": 1},
                 bad_payload, not_unicode, submit("p-5"))
            answers = results(kafka_config, "school-a", **{"None": 3, "p-3": 1, "p-4": 1,
                                                           "p-5": 1, "p-6": 1})
        assert [a["problem"]["status"] for a in answers["None"]] == [400, 400, 400]
        [launch], [invalid], [fine] = answers["p-3"], answers["p-4"], answers["p-5"]
        assert set(launch["problem"]["errors"]) == {"type", "extra"}
        assert invalid["problem"]["status"] == 422
        assert "payload.subject.name" in invalid["problem"]["errors"]
        [surrogate] = answers["p-6"]
        assert surrogate["problem"]["status"] == 422
        assert list(surrogate["problem"]["errors"]) == ["payload.reason"]
        assert fine["ok"] and fine["status"] == "submitted"


class TestNewAgencies:
    def test_an_agency_registered_later_is_followed_without_a_restart(
            self, hub_app: HubApplication, kafka_config: KafkaConfig) -> None:
        with ingesting(hub_app, kafka_config) as worker:
            hub_app.register_agency(HUB_ADMIN, id="late-f", name="Late", kind="school",
                                    jurisdiction="hubei/late")
            wait_for(lambda: inbound_topic(kafka_config.prefix, "late-f") in worker.topics, 30,
                     "the new agency's topic to be followed")
            send(kafka_config, "late-f", submit("l-1"))
            [answer] = results(kafka_config, "late-f", **{"l-1": 1})["l-1"]
        assert answer["ok"] and hub_app.load(answer["referral_id"], Referral).from_agency == "late-f"
