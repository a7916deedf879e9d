"""The inbound ingest: agencies' commands from their topics, each taking effect at most once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from adapters.kafka import clients
from adapters.kafka.clients import KafkaConfig, TopicAdmin
from adapters.kafka.cloudevents import encode
from adapters.kafka.commands import Validator, command_id_of, execute, parse
from adapters.kafka.problems import problem_of
from adapters.kafka.topics import inbound_agency, inbound_topic, results_topic
from domain.application import HubApplication
from domain.errors import Conflict, HubError

log = logging.getLogger("hub.kafka.ingest")


def ingest_group(prefix: str) -> str:
    """The consumer group whose committed offsets say which commands were answered."""
    return f"{prefix}.ingest"


@dataclass
class IngestStats:
    """What the ingest has done."""

    handled: int = 0
    failed: int = 0
    retries: int = 0


class Ingest:
    """Consumes every registered agency's inbound topic and answers on its results topic.

    Order per message: effect (one store transaction, with the command ledger) → result sent
    and acknowledged → offset committed. A crash anywhere repeats the message, and a repeat
    answers with the first outcome.
    """

    def __init__(self, app: HubApplication, config: KafkaConfig, validate: Validator, *,
                 refresh_seconds: float = 10.0,
                 make_consumer: Callable[[KafkaConfig, str], KafkaConsumer] = clients.consumer,
                 make_producer: Callable[[KafkaConfig], KafkaProducer] = clients.producer) -> None:
        self.app, self.config, self.validate = app, config, validate
        self.refresh_seconds = refresh_seconds
        self.make_consumer, self.make_producer = make_consumer, make_producer
        self.admin = TopicAdmin(config)
        self.stats = IngestStats()
        self.topics: set[str] = set()
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._refreshed = 0.0

    def run(self, stop: threading.Event) -> None:
        """Ingest until `stop` is set."""
        backoff = 0.25
        try:
            while not stop.is_set():
                try:
                    self.step()
                    backoff = 0.25
                except (KafkaError, OSError, PersistenceError) as error:
                    log.warning("ingest step failed (%r); retrying", error)
                    self.stats.retries += 1
                    self._reset()
                    stop.wait(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self.close()

    def step(self) -> None:
        """Refresh the agencies when due, then handle one poll's worth of commands."""
        consumer = self._consumer_()
        if time.monotonic() - self._refreshed > self.refresh_seconds:
            self.refresh()
        if not self.topics:
            time.sleep(0.2)
            return
        records = consumer.poll(timeout_ms=500, max_records=200)
        if records:
            self._handle_batch(consumer, records)

    def refresh(self) -> None:
        """Follow every registered agency's inbound topic (new agencies without a restart)."""
        agencies = [agency.slug for agency in self.app.list_agencies()]
        topics = {inbound_topic(self.config.prefix, a) for a in agencies}
        self.admin.ensure(topics | {results_topic(self.config.prefix, a) for a in agencies},
                          self.config.agency_partitions)
        if topics != self.topics:
            self._assign(self._consumer_(), topics)
            self.topics = topics
        self._refreshed = time.monotonic()

    def _assign(self, consumer: KafkaConsumer, topics: set[str]) -> None:
        """Take every partition of the inbound topics: no group rebalance to wait for (so run one
        ingest; a second would only repeat answers, never effects). Offsets resume from the
        group's commits."""
        partitions = []
        for topic in sorted(topics):
            found = consumer.partitions_for_topic(topic)
            if not found:
                raise KafkaError(f"no metadata yet for {topic}")
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(partitions)

    def _handle_batch(self, consumer: KafkaConsumer,
                      records: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        try:
            results = [(record, self.handle(record)) for batch in records.values()
                       for record in batch]
            self._publish(results)
            consumer.commit()
        except BaseException:
            self._rewind(consumer, records)
            raise

    def handle(self, record: ConsumerRecord) -> dict[str, Any]:
        """The result of one message; only a failing store or broker escapes (and is retried)."""
        agency = inbound_agency(self.config.prefix, record.topic) or ""
        command_id = command_id_of(record.value)
        try:
            command = parse(record.value)
            result = {"command_id": command.command_id,
                      **execute(self.app, agency, command, self.validate)}
            self.stats.handled += 1
            return result
        except IntegrityError:
            return self._failure(command_id, Conflict("The command raced another; resend it."))
        except PersistenceError:
            raise
        except HubError as error:
            return self._failure(command_id, error)
        except Exception as error:  # the last resort: a poison message never stops a partition
            log.exception("command failed unexpectedly", extra={"topic": record.topic,
                                                                "offset": record.offset})
            return self._failure(command_id, error)

    def _failure(self, command_id: str | None, error: Exception) -> dict[str, Any]:
        self.stats.failed += 1
        return {"command_id": command_id, "ok": False, "status": "rejected",
                "problem": problem_of(error)}

    def _publish(self, results: list[tuple[ConsumerRecord, dict[str, Any]]]) -> None:
        producer = self._producer_()
        futures = []
        for record, result in results:
            agency = inbound_agency(self.config.prefix, record.topic) or ""
            key = (result.get("command_id") or f"{record.partition}:{record.offset}").encode()
            futures.append(producer.send(results_topic(self.config.prefix, agency), key=key,
                                         value=encode(result)))
        for future in futures:  # no acknowledgement within send_timeout: a wedge, retried
            future.get(timeout=self.config.send_timeout)

    def _rewind(self, consumer: KafkaConsumer,
                records: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Go back to the first record of the batch so nothing in it is lost."""
        for partition, batch in records.items():
            if batch and partition in consumer.assignment():
                consumer.seek(partition, batch[0].offset)

    def _consumer_(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = self.make_consumer(self.config, ingest_group(self.config.prefix))
            self.topics = set()
            self._refreshed = 0.0
        return self._consumer

    def _producer_(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = self.make_producer(self.config)
        return self._producer

    def _reset(self) -> None:
        """Drop the producer (it may be wedged); the consumer stays in its group."""
        producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=0)

    def close(self) -> None:
        self._reset()
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.close(autocommit=False)
