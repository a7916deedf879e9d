"""What an agency's own system sees, using nothing but kafka-python: CloudEvents on its topic,
and a referral submitted through its inbound topic with its result."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer

from adapters.settings import Settings
from domain.application import HubApplication
from tests.integration.kafka.world import referral_fields, start_hub, terminate
from tests.kafka_broker import wait_for

pytestmark = pytest.mark.kafka

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")


def valid_cloudevent(event: dict[str, Any], headers: dict[str, bytes], key: bytes) -> None:
    """The CloudEvents 1.0 rules an ordinary consumer can check, structured JSON mode."""
    assert headers["content-type"].startswith(b"application/cloudevents+json")
    assert event["specversion"] == "1.0"
    for name in ("id", "source", "type", "subject", "datacontenttype"):
        assert isinstance(event[name], str) and event[name], name
    assert RFC3339.match(event["time"])
    assert all(EXTENSION_NAME.match(name) for name in event)
    assert event["datacontenttype"] == "application/json" and isinstance(event["data"], dict)
    assert key.decode() == event["subject"] == event["streamid"]
    assert event["id"] == f"{event['streamid']}:{event['streamversion']}"
    assert isinstance(event["position"], int) and isinstance(event["hash"], str)


def consume(bootstrap: str, topic: str, group: str, want: int, timeout: float = 90) -> list[Any]:
    consumer = KafkaConsumer(topic, bootstrap_servers=[bootstrap], group_id=group,
                             auto_offset_reset="earliest", session_timeout_ms=6000)
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < want and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


def test_an_agency_system_with_plain_kafka_python(
        hub_app: HubApplication, hub_settings: Settings, tmp_path: Path) -> None:
    bootstrap, prefix = hub_settings.kafka_bootstrap or "", hub_settings.kafka_topic_prefix
    relay = start_hub(hub_settings, "kafka", "relay", log=tmp_path / "relay.log")
    ingest = start_hub(hub_settings, "kafka", "ingest", log=tmp_path / "ingest.log")
    try:
        probe = KafkaConsumer(bootstrap_servers=[bootstrap])
        wait_for(lambda: f"{prefix}.inbound.school-a" in probe.topics(), 60, "inbound topics")
        probe.close()
        producer = KafkaProducer(bootstrap_servers=[bootstrap], acks="all")
        producer.send(f"{prefix}.inbound.school-a", json.dumps({
            "command_id": "plain-1", "type": "submit_referral",
            "payload": referral_fields("civil-b")}).encode())
        producer.flush(30)
        [result] = [json.loads(r.value) for r in consume(
            bootstrap, f"{prefix}.inbound.school-a.results", "school-a-results", 1)]
        assert result["ok"] and result["status"] == "submitted"
        events = consume(bootstrap, f"{prefix}.agency.school-a", "school-a-system", 2)
    finally:
        assert terminate(relay) == 0 and terminate(ingest) == 0
    for record in events:
        valid_cloudevent(json.loads(record.value), dict(record.headers), record.key)
    submitted = [json.loads(r.value) for r in events
                 if json.loads(r.value)["type"] == "referral.submitted"]
    assert submitted[0]["subject"] == result["referral_id"]
    assert submitted[0]["data"]["data"]["subject"]["name"] == "张小明"
