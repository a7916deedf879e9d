"""Relay throughput beside a raw kafka-python producer (same messages, same broker, same run),
and submit-to-agency-topic latency. Run by hand: `.venv/bin/python bench/kafka_relay.py`."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from rich.console import Console
from rich.progress import track

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from adapters.kafka.clients import KafkaConfig
from adapters.kafka.relay import Relay
from adapters.settings import Settings
from adapters.storage import open_application
from tests.integration.kafka.world import referral_fields, register_agencies, staff
from tests.kafka_broker import Broker
from tests.stores import TEST_CIPHER_KEY

console = Console()


class KeepingRelay(Relay):
    """The relay, keeping the messages it built so the raw producer can send the same ones."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.built: list = []

    def messages(self, batch):  # type: ignore[no-untyped-def]
        out = super().messages(batch)
        self.built.extend(out)
        return out


def relay_rate(app, config: KafkaConfig, events: int) -> tuple[float, list]:
    """Events per second for the relay to publish a backlog; returns the messages it built."""
    relay = KeepingRelay(app, config)
    built = relay.built
    stop = threading.Event()
    start = time.perf_counter()
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    while relay.stats.position < (app.recorder.max_notification_id() or 0):
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    stop.set()
    thread.join()
    return events / elapsed, built


def raw_rate(config: KafkaConfig, messages: list, events: int) -> float:
    """The same messages, to the same topics, by a bare idempotent producer (no store, no JSON)."""
    producer = KafkaProducer(bootstrap_servers=config.servers, acks="all",
                             enable_idempotence=True, linger_ms=5, batch_size=256 * 1024)
    start = time.perf_counter()
    for m in messages:
        producer.send(m.topic + ".raw", key=m.key, value=m.value)
    producer.flush()
    elapsed = time.perf_counter() - start
    producer.close()
    return events / elapsed


def latency(app, config: KafkaConfig, samples: int) -> list[float]:
    """Seconds from submit() returning to the event on the receiver's agency topic."""
    relay, stop = Relay(app, config, idle_wait=0.005), threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    topic = f"{config.prefix}.agency.civil-b"
    consumer = KafkaConsumer(bootstrap_servers=config.servers, fetch_max_wait_ms=10)
    while not consumer.partitions_for_topic(topic):
        time.sleep(0.05)
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
    consumer.seek_to_end()
    found: list[float] = []
    for _ in track(range(samples), description="latency", console=console):
        referral, _ = app.submit_referral(staff("school-a"), referral_fields("civil-b"))
        sent, want = time.perf_counter(), str(referral.id).encode()
        while not any(r.key == want for b in consumer.poll(timeout_ms=50).values() for r in b):
            pass
        found.append(time.perf_counter() - sent)
    stop.set()
    thread.join()
    consumer.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-kafka-"))
    broker = Broker(work).start()
    settings = Settings(database_url=f"sqlite:///{work / 'hub.sqlite'}",
                        cipher_key=TEST_CIPHER_KEY)
    app = open_application(settings, create_tables=True)
    try:
        register_agencies(app)
        for _ in track(range(args.events), description="writing events", console=console):
            app.submit_referral(staff("school-a"), referral_fields("civil-b"))
        events = app.recorder.max_notification_id() or 0
        config = KafkaConfig(bootstrap=broker.bootstrap, prefix="bench", partitions=6)
        relayed, messages = relay_rate(app, config, events)
        raw = raw_rate(config, messages, events)
        lat = sorted(latency(app, config, args.samples))
        console.print(f"events {events}, messages {len(messages)} "
                      f"({len(messages) / events:.2f} per event)")
        console.print(f"relay {relayed:,.0f} events/s; raw producer {raw:,.0f} events/s; "
                      f"ratio {relayed / raw:.2f}")
        console.print(f"submit → agency topic: median {statistics.median(lat) * 1000:.1f} ms, "
                      f"p99 {lat[int(len(lat) * 0.99) - 1] * 1000:.1f} ms")
    finally:
        app.close()
        broker.stop()


if __name__ == "__main__":
    main()
