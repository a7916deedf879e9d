"""Shared fixtures: applications on each store, a Flask app and client, callers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from domain.base import Caller
from tests.stores import TEST_CIPHER_KEY, store_settings

HUB_ADMIN = Caller(agency="hub", user="hub-admin", role="hub_admin")
ADMIN_TOKEN = "test-hub-admin-token"


def memory_application() -> HubApplication:
    return HubApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo",
                               "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                               "CIPHER_KEY": TEST_CIPHER_KEY})


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def application(store_kind: str, tmp_path: Path) -> Iterator[HubApplication]:
    """The Application on each store in turn (memory, SQLite, PostgreSQL)."""
    if store_kind == "memory":
        yield memory_application()
        return
    with store_settings(store_kind, tmp_path) as settings:
        app = open_application(settings, create_tables=True)
        try:
            yield app
        finally:
            app.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh SQLite store with a known admin token."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                    cipher_key=TEST_CIPHER_KEY, admin_token=ADMIN_TOKEN)


@pytest.fixture
def flask_app(settings: Settings) -> Iterator[Any]:
    from hub import create_app

    app = create_app({"TESTING": True, "HUB_SETTINGS": settings})
    yield app
    app.extensions["hub"].app.close()


@pytest.fixture
def client(flask_app: Any) -> Any:
    return flask_app.test_client()


@pytest.fixture
def runner(flask_app: Any) -> Any:
    return flask_app.test_cli_runner()
