"""The outbound relay: follows the event store in order and publishes each event as a CloudEvent."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification, Tracking
from kafka import KafkaProducer
from kafka.errors import KafkaError

from adapters.kafka.clients import KafkaConfig, TopicAdmin, producer
from adapters.kafka.cloudevents import HEADERS, cloud_event, encode
from adapters.kafka.parties import PartyTracker
from adapters.kafka.topics import agency_topic, events_topic, is_public
from domain.application import HubApplication

log = logging.getLogger("hub.kafka.relay")


@dataclass(frozen=True)
class Outbound:
    """One message to publish."""

    topic: str
    key: bytes
    value: bytes


@dataclass
class RelayStats:
    """What the relay has done; the metric lines are rendered from it."""

    position: int = 0
    store_position: int = 0
    published: int = 0
    rebuilds: int = 0
    started: float = field(default_factory=time.time)

    @property
    def lag(self) -> int:
        return max(self.store_position - self.position, 0)


class RelayPosition:
    """The last global position delivered, in the store's own tracking table."""

    def __init__(self, app: HubApplication, prefix: str) -> None:
        self.name = f"kafka-relay:{prefix}"
        self.recorder = app.factory.tracking_recorder()
        if not app.factory.env_create_table():
            self.recorder.create_table()

    def load(self) -> int:
        return self.recorder.max_tracking_id(self.name) or 0

    def save(self, position: int) -> None:
        self.recorder.insert_tracking(Tracking(self.name, position))


def relay_status(app: HubApplication, prefix: str) -> dict[str, int]:
    """Where the relay stands against the store: position, store position, lag."""
    position = RelayPosition(app, prefix).load()
    store = app.recorder.max_notification_id() or 0
    return {"position": position, "store_position": store, "lag": max(store - position, 0)}


class Relay:
    """Publishes every stored event, once acknowledged advancing its durable position."""

    def __init__(self, app: HubApplication, config: KafkaConfig, *, batch_size: int = 500,
                 make_producer: Callable[[KafkaConfig], KafkaProducer] = producer,
                 idle_wait: float = 0.2) -> None:
        self.app, self.config, self.batch_size = app, config, batch_size
        self.make_producer, self.idle_wait = make_producer, idle_wait
        self.position = RelayPosition(app, config.prefix)
        self.tracker = PartyTracker(app)
        self.admin = TopicAdmin(config)
        self.stats = RelayStats()
        self.source = f"/referral-hub/{config.prefix}"
        self._producer: KafkaProducer | None = None

    def run(self, stop: threading.Event) -> None:
        """Relay until `stop` is set; a restart resumes from the stored position."""
        self.stats.position = self.position.load()
        log.info("relay starting", extra={"position": self.stats.position})
        try:
            while not stop.is_set():
                if not self.step(stop):
                    stop.wait(self.idle_wait)
        finally:
            self.close()

    def step(self, stop: threading.Event) -> bool:
        """Relay one batch; False when there was nothing new."""
        self.stats.store_position = self.app.recorder.max_notification_id() or 0
        batch = self.app.recorder.select_notifications(self.stats.position + 1,
                                                       limit=self.batch_size)
        if not batch:
            return False
        if self.deliver(self.messages(batch), stop):
            self.position.save(batch[-1].id)
            self.stats.position = batch[-1].id
        return True

    def messages(self, batch: Sequence[Notification]) -> list[Outbound]:
        """The messages of a batch of stored events, in order."""
        out: list[Outbound] = []
        for notification in batch:
            event = self.app.mapper.to_domain_event(notification)
            key = str(event.originator_id).encode()
            if is_public(event):
                masked = cloud_event(event, position=notification.id, source=self.source,
                                     masked=True)
                out.append(Outbound(events_topic(self.config.prefix), key, encode(masked)))
            parties = self.tracker.parties(event)
            if parties:
                full = encode(cloud_event(event, position=notification.id, source=self.source,
                                          masked=False))
                out.extend(Outbound(agency_topic(self.config.prefix, a), key, full)
                           for a in parties)
        return out

    def deliver(self, messages: list[Outbound], stop: threading.Event) -> bool:
        """Send until the broker acknowledged all; rebuild the producer on failure or a wedge."""
        backoff = 0.25
        while not stop.is_set():
            try:
                self._send(messages)
                return True
            except (KafkaError, OSError) as error:
                log.warning("relay send failed (%r); rebuilding the producer", error)
                self._rebuild()
                stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        return False

    def _send(self, messages: list[Outbound]) -> None:
        self.admin.ensure({events_topic(self.config.prefix)}, self.config.partitions)
        self.admin.ensure({m.topic for m in messages}, self.config.agency_partitions)
        if self._producer is None:
            self._producer = self.make_producer(self.config)
        futures = [self._producer.send(m.topic, key=m.key, value=m.value, headers=HEADERS)
                   for m in messages]
        for future in futures:  # a wedge is no acknowledgement for send_timeout, not a slow batch
            future.get(timeout=self.config.send_timeout)  # raises what the broker answered
            self.stats.published += 1

    def _rebuild(self) -> None:
        if self._producer is not None:
            self._close_producer(timeout=0)
        self.stats.rebuilds += 1

    def _close_producer(self, timeout: float) -> None:
        producer_, self._producer = self._producer, None
        try:
            if producer_ is not None:
                producer_.close(timeout=timeout)
        except KafkaError as error:  # a wedged producer may not close cleanly; it is dropped
            log.warning("producer did not close (%r)", error)

    def close(self) -> None:
        """Flush and close the producer."""
        self._close_producer(timeout=self.config.send_timeout)


def describe(stats: RelayStats) -> dict[str, Any]:
    """The relay's figures as a dict (for the metric text and logs)."""
    return {"position": stats.position, "store_position": stats.store_position,
            "lag": stats.lag, "published": stats.published, "rebuilds": stats.rebuilds}
