"""`hub kafka relay | ingest | status`: the Kafka adapters, composed with the REST schemas."""

from __future__ import annotations

import faulthandler
import json
import logging
import signal
import threading
from typing import Any

import click
from marshmallow import ValidationError

from adapters.settings import Settings
from adapters.storage import open_application
from domain.errors import Invalid
from hub.schemas.referrals import ACTION_SCHEMAS, ReferralCreateSchema

log = logging.getLogger("hub.kafka")


def rest_validator(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A command's payload checked by the schema REST uses for the same request."""
    schema = ReferralCreateSchema() if action == "submit" else ACTION_SCHEMAS[action]()
    try:
        loaded: dict[str, Any] = schema.load(payload)
    except ValidationError as error:
        raise Invalid("The command's payload is invalid.",
                      _flatten(error.normalized_messages(), "payload.")) from None
    return loaded


def _flatten(messages: Any, prefix: str) -> dict[str, list[str]]:
    if not isinstance(messages, dict):
        return {prefix.rstrip("."): [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for name, inner in messages.items():
        path = f"{prefix}{name}"
        flat.update(_flatten(inner, path + ".") if isinstance(inner, dict)
                    else {path: [str(m) for m in inner]})
    return flat


def kafka_config(settings: Settings, **options: Any) -> Any:
    """The adapters' configuration; a usage error when HUB_KAFKA_BOOTSTRAP is unset."""
    from adapters.kafka.clients import KafkaConfig

    if not settings.kafka_bootstrap:
        raise click.UsageError("HUB_KAFKA_BOOTSTRAP is not set: Kafka is not configured.")
    given = {k: v for k, v in options.items() if v is not None}
    return KafkaConfig(bootstrap=settings.kafka_bootstrap, prefix=settings.kafka_topic_prefix,
                       **given)


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the loop finishes its batch and exits cleanly."""
    stop = threading.Event()
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1` prints every thread's stack
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@click.group("kafka")
def kafka() -> None:
    """Publish events to Kafka and take agencies' commands from it."""


@kafka.command("relay")
@click.option("--batch-size", default=500, show_default=True, help="Events per batch.")
@click.option("--send-timeout", type=float, help="Seconds before a send counts as wedged.")
@click.option("--partitions", type=int, help="Partitions of the public topic when created.")
@click.option("--replication-factor", type=int, help="Replicas of topics when created.")
@click.option("--max-in-flight", type=click.IntRange(1, 5), help="Requests in flight (≤5).")
@click.option("--metrics", "metrics_bind", metavar="HOST:PORT", help="Serve GET /metrics.")
def relay(batch_size: int, send_timeout: float | None, partitions: int | None,
          replication_factor: int | None, max_in_flight: int | None,
          metrics_bind: str | None) -> None:
    """Publish every stored event, in order, until SIGTERM (a restart resumes)."""
    from adapters.kafka import metrics
    from adapters.kafka.relay import Relay, describe

    settings = Settings.from_env()
    config = kafka_config(settings, send_timeout=send_timeout, partitions=partitions,
                          replication_factor=replication_factor, max_in_flight=max_in_flight)
    app = open_application(settings)
    worker = Relay(app, config, batch_size=batch_size)
    if metrics_bind:
        metrics.serve(metrics_bind, lambda: {f"hub_kafka_relay_{k}": v
                                             for k, v in describe(worker.stats).items()})
    worker.run(stop_on_signals())
    app.close()


@kafka.command("ingest")
@click.option("--refresh", type=float, default=10.0, show_default=True,
              help="Seconds between looks for newly registered agencies.")
@click.option("--send-timeout", type=float, help="Seconds before a send counts as wedged.")
@click.option("--metrics", "metrics_bind", metavar="HOST:PORT", help="Serve GET /metrics.")
def ingest(refresh: float, send_timeout: float | None, metrics_bind: str | None) -> None:
    """Take commands from every agency's inbound topic until SIGTERM."""
    from adapters.kafka import metrics
    from adapters.kafka.ingest import Ingest

    settings = Settings.from_env()
    config = kafka_config(settings, send_timeout=send_timeout)
    app = open_application(settings)
    worker = Ingest(app, config, rest_validator, refresh_seconds=refresh)
    if metrics_bind:
        metrics.serve(metrics_bind, lambda: {f"hub_kafka_ingest_{k}": v
                                             for k, v in vars(worker.stats).items()})
    worker.run(stop_on_signals())
    app.close()


@kafka.command("status")
def status() -> None:
    """The relay's position and lag, and the commands waiting on each inbound topic (JSON)."""
    from adapters.kafka.relay import relay_status
    from adapters.kafka.status import ingest_status

    settings = Settings.from_env()
    config = kafka_config(settings)
    app = open_application(settings)
    try:
        agencies = [agency.slug for agency in app.list_agencies()]
        report = {"relay": relay_status(app, config.prefix),
                  "ingest": ingest_status(config, agencies)}
    finally:
        app.close()
    click.echo(json.dumps(report, indent=2))


COMMANDS = [kafka]
