"""Kafka clients as the hub configures them, and topic administration."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger("hub.kafka")


@dataclass(frozen=True)
class KafkaConfig:
    """Where the broker is and how the hub's topics are laid out."""

    bootstrap: str
    prefix: str = "referral-hub"
    partitions: int = 6  # the public topic's
    agency_partitions: int = 3  # each agency's, inbound and results topics'
    replication_factor: int = 1
    send_timeout: float = 30.0  # a send not acknowledged by then means a wedged producer
    max_in_flight: int = 5  # per connection; at most 5 keeps idempotent ordering

    @property
    def servers(self) -> list[str]:
        return [s.strip() for s in self.bootstrap.split(",") if s.strip()]


def producer(config: KafkaConfig) -> KafkaProducer:
    """An idempotent producer that only counts a send once every in-sync replica has it."""
    timeout_ms = int(config.send_timeout * 1000)
    return KafkaProducer(
        bootstrap_servers=config.servers, client_id=f"{config.prefix}-producer",
        acks="all", enable_idempotence=True,
        max_in_flight_requests_per_connection=min(config.max_in_flight, 5),
        linger_ms=5, batch_size=256 * 1024, max_block_ms=timeout_ms,
        request_timeout_ms=min(timeout_ms, 15000), delivery_timeout_ms=max(timeout_ms, 120000),
        reconnect_backoff_max_ms=2000,
    )


def consumer(config: KafkaConfig, group: str, **overrides: Any) -> KafkaConsumer:
    """A consumer of `group` that commits offsets only when told to."""
    settings: dict[str, Any] = {
        "bootstrap_servers": config.servers, "group_id": group,
        "client_id": f"{group}-consumer", "enable_auto_commit": False,
        "auto_offset_reset": "earliest", "session_timeout_ms": 10000,
        "heartbeat_interval_ms": 1000, "max_poll_interval_ms": 300000,
        "request_timeout_ms": 30000, "reconnect_backoff_max_ms": 2000,
    }
    settings.update(overrides)
    return KafkaConsumer(**settings)


class TopicAdmin:
    """Creates the hub's topics when absent (remembers what it has seen)."""

    def __init__(self, config: KafkaConfig) -> None:
        self.config = config
        self.known: set[str] = set()

    def ensure(self, topics: Iterable[str], partitions: int | None = None) -> None:
        """Create each missing topic with the configured partitions and replication."""
        wanted = sorted(set(topics) - self.known)
        if not wanted:
            return
        admin = KafkaAdminClient(bootstrap_servers=self.config.servers,
                                 client_id=f"{self.config.prefix}-admin",
                                 request_timeout_ms=int(self.config.send_timeout * 1000))
        try:
            existing = set(admin.list_topics())
            missing = [t for t in wanted if t not in existing]
            if missing:
                self._create(admin, missing, partitions or self.config.partitions)
        finally:
            admin.close()
        self.known.update(wanted)

    def _create(self, admin: KafkaAdminClient, names: list[str], partitions: int) -> None:
        for name in names:
            try:
                admin.create_topics([NewTopic(name, partitions, self.config.replication_factor)])
            except TopicAlreadyExistsError:
                pass  # another process created it in between
        log.info("created topics", extra={"topics": names})
