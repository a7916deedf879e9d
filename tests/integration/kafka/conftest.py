"""Kafka fixtures: one real broker per session, a fresh topic prefix and store per test."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # kafka-python 3 reads its protocol schemas with a deprecated
    warnings.simplefilter("ignore", DeprecationWarning)  # importlib call, once, at import
    import kafka  # noqa: F401

from adapters.kafka.clients import KafkaConfig
from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from tests.integration.kafka.world import register_agencies
from tests.kafka_broker import Broker
from tests.stores import TEST_CIPHER_KEY

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A tansu broker with memory storage on a free loopback port, for the whole session."""
    running = Broker(tmp_path_factory.mktemp("broker")).start()
    yield running
    running.stop()


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test's own (the broker is shared)."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def kafka_config(broker: Broker, prefix: str) -> KafkaConfig:
    return KafkaConfig(bootstrap=broker.bootstrap, prefix=prefix, partitions=3,
                       agency_partitions=2, send_timeout=10.0)


@pytest.fixture
def hub_settings(tmp_path: Path, broker: Broker, prefix: str) -> Settings:
    """An SQLite store file with Kafka configured (what `hub kafka ...` subprocesses read)."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                    cipher_key=TEST_CIPHER_KEY, kafka_bootstrap=broker.bootstrap,
                    kafka_topic_prefix=prefix)


@pytest.fixture
def hub_app(hub_settings: Settings) -> Iterator[HubApplication]:
    """The Application on that store, with the test world's agencies registered."""
    app = open_application(hub_settings, create_tables=True)
    register_agencies(app)
    yield app
    app.close()
