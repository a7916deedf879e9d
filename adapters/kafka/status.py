"""How far the ingest is behind: commands on each inbound topic not yet answered and committed."""

from __future__ import annotations

from kafka import KafkaConsumer, TopicPartition

from adapters.kafka.clients import KafkaConfig
from adapters.kafka.ingest import ingest_group
from adapters.kafka.topics import inbound_topic


def ingest_status(config: KafkaConfig, agencies: list[str]) -> dict[str, dict[str, int]]:
    """Per agency with an inbound topic: messages in it, committed by the ingest, and lag."""
    consumer = KafkaConsumer(bootstrap_servers=config.servers,
                             group_id=ingest_group(config.prefix), enable_auto_commit=False)
    try:
        existing = consumer.topics()
        report: dict[str, dict[str, int]] = {}
        for agency in agencies:
            topic = inbound_topic(config.prefix, agency)
            if topic in existing:
                report[agency] = _topic_status(consumer, topic)
        return report
    finally:
        consumer.close(autocommit=False)


def _topic_status(consumer: KafkaConsumer, topic: str) -> dict[str, int]:
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
    ends = consumer.end_offsets(partitions)
    committed = {tp: consumer.committed(tp) or 0 for tp in partitions}
    end, done = sum(ends.values()), sum(committed.values())
    return {"messages": end, "committed": done, "lag": max(end - done, 0)}
