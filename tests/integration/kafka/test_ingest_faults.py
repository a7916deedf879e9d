"""Fault test of the ingest: kill -9 between the store commit and the offset commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from adapters.kafka.ingest import ingest_group
from adapters.kafka.topics import inbound_topic, results_topic
from adapters.settings import Settings
from domain.application import HubApplication
from domain.referral import Referral
from domain.referral_service import submission_id
from tests.integration.kafka.world import (
    kill9,
    read_topic,
    referral_fields,
    start_hub,
    terminate,
)
from tests.kafka_broker import wait_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

COMMANDS = 600
KILLS = 3


def committed(consumer: KafkaConsumer, topic: str) -> int:
    partitions = consumer.partitions_for_topic(topic) or set()
    return sum(consumer.committed(TopicPartition(topic, p)) or 0 for p in partitions)


def test_ingest_killed_between_effect_and_offset_commit(
        hub_app: HubApplication, hub_settings: Settings, tmp_path: Path) -> None:
    prefix, bootstrap = hub_settings.kafka_topic_prefix, hub_settings.kafka_bootstrap or ""
    topic = inbound_topic(prefix, "school-a")
    ingest = start_hub(hub_settings, "kafka", "ingest", "--refresh", "1", log=tmp_path / "i.log")
    offsets = KafkaConsumer(bootstrap_servers=[bootstrap], group_id=ingest_group(prefix),
                            enable_auto_commit=False)
    try:
        wait_for(lambda: topic in offsets.topics(), 60, "the ingest to create its topics")
        base = hub_app.recorder.max_notification_id() or 0
        producer = KafkaProducer(bootstrap_servers=[bootstrap], acks="all")
        for n in range(COMMANDS):
            command = {"command_id": f"k-{n}", "type": "submit_referral",
                       "payload": referral_fields("civil-b", f"4208{n:014d}")}
            producer.send(topic, json.dumps(command).encode())
        producer.flush(30)
        for _ in range(KILLS):  # kill when an effect is stored but its offset not committed
            wait_for(lambda: (hub_app.recorder.max_notification_id() or 0) - base
                     > committed(offsets, topic), 120, "an effect ahead of the offsets",
                     interval=0.01)
            kill9(ingest)
            ingest = start_hub(hub_settings, "kafka", "ingest", log=tmp_path / "i.log")
        answers = read_topic(bootstrap, results_topic(prefix, "school-a"),
                             lambda rs: len({r.value["command_id"] for r in rs}) >= COMMANDS,
                             timeout=180)
        assert terminate(ingest) == 0
    finally:
        if ingest.poll() is None:
            kill9(ingest)
        offsets.close()
    assert all(a.value["ok"] for a in answers), [a.value for a in answers if not a.value["ok"]]
    assert any(a.value["repeated"] for a in answers), "no command was redelivered after a kill"
    for n in range(COMMANDS):  # one referral per command: none lost, none doubled
        referral = hub_app.load(submission_id("school-a", f"kafka:k-{n}"), Referral)
        assert referral.subject["id_number"] == f"4208{n:014d}"
    stored = hub_app.recorder.max_notification_id() or 0
    assert stored - base == COMMANDS, "an effect was stored twice"
