"""The Kafka tests' world: agencies, referrals with canary ID numbers, and topic readers."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from adapters.settings import Settings
from domain.application import HubApplication
from domain.base import Caller

HUB_ADMIN = Caller(agency="hub", user="hub-admin", role="hub_admin")
AGENCIES = {"school-a": "school", "civil-b": "civil_affairs", "proc-c": "procuratorate",
            "station-e": "social_work_station", "outsider-d": "court"}


def staff(agency: str) -> Caller:
    return Caller(agency=agency, user=f"{agency}-clerk", role="staff")


def register_agencies(app: HubApplication) -> None:
    for slug, kind in AGENCIES.items():
        app.register_agency(HUB_ADMIN, id=slug, name=slug.title(), kind=kind,
                            jurisdiction=f"hubei/jingmen/{slug}")


def canary() -> str:
    """An 18-digit ID number that must never appear on the public topic."""
    return "4208" + "".join(secrets.choice("0123456789") for _ in range(14))


def referral_fields(to_agency: str, id_number: str | None = None) -> dict[str, Any]:
    return {"to_agency": to_agency, "category": "family_education_guidance",
            "urgency": "routine", "reason": "Guardian asks for guidance.",
            "subject": {"name": "张小明", "id_number": id_number or canary(),
                        "phone": "13800000000", "guardian": {"name": "张三", "relation": "father"}},
            "consent": {"basis": "guardian_consent"}}


@dataclass(frozen=True)
class Message:
    """One consumed record, its value parsed."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: dict[str, bytes]
    raw: bytes

    @property
    def value(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


def read_topic(bootstrap: str, topic: str, until: Callable[[list[Message]], bool],
               timeout: float = 60) -> list[Message]:
    """Every record of a topic from the beginning, read until `until(records)` holds."""
    consumer = KafkaConsumer(bootstrap_servers=[bootstrap], enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=1000)
    try:
        return _read(consumer, topic, until, timeout)
    finally:
        consumer.close()


def _read(consumer: KafkaConsumer, topic: str, until: Callable[[list[Message]], bool],
          timeout: float) -> list[Message]:
    deadline = time.monotonic() + timeout
    partitions: set[int] | None = None
    while not partitions:
        partitions = consumer.partitions_for_topic(topic)
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {topic} never appeared")
        if not partitions:
            time.sleep(0.1)
    consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
    consumer.seek_to_beginning()
    records: list[Message] = []
    while not until(records):
        if time.monotonic() > deadline:
            raise AssertionError(f"{topic}: condition not met; {len(records)} records read")
        for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
            records.extend(Message(r.topic, r.partition, r.offset, r.key,
                                   dict(r.headers or []), r.value) for r in batch)
    return records


def end_offsets_total(bootstrap: str, topic: str) -> int:
    """How many records a topic holds (the sum of its partitions' end offsets)."""
    consumer = KafkaConsumer(bootstrap_servers=[bootstrap])
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return int(sum(ends.values()))
    finally:
        consumer.close()


def hub_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {**os.environ, "HUB_DATABASE_URL": settings.database_url,
           "HUB_CIPHER_KEY": settings.cipher_key or "", "HUB_KAFKA_BOOTSTRAP":
           settings.kafka_bootstrap or "", "HUB_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix}
    return {**env, **extra}


def start_hub(settings: Settings, *args: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """`hub <args>` as a subprocess of its own (so it can be killed with -9)."""
    hub = Path(sys.executable).parent / "hub"
    with log.open("ab") as out:
        return subprocess.Popen([str(hub), *args], env=hub_env(settings, **env), stdout=out,
                                stderr=subprocess.STDOUT)


def kill9(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def terminate(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM and wait for a clean exit; returns the exit status."""
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout)
