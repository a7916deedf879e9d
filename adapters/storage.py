"""Storage choice and cipher: builds the Application on SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from eventsourcing.cryptography import AESCipher

from adapters.settings import Settings, SettingsError
from domain.application import HubApplication, utc_now

KEY_FILE_SUFFIX = ".key"


def cipher_key(settings: Settings) -> str:
    """`HUB_CIPHER_KEY`, or for SQLite a key generated once beside the database file."""
    if settings.cipher_key:
        return settings.cipher_key
    if not settings.is_sqlite:
        raise SettingsError("HUB_CIPHER_KEY must be set when the store is PostgreSQL.")
    key_path = settings.sqlite_path.with_suffix(KEY_FILE_SUFFIX)
    if key_path.exists():
        return key_path.read_text().strip()
    key_path.parent.mkdir(parents=True, exist_ok=True)
    return _publish_key(key_path, AESCipher.create_key(32))


def _publish_key(key_path: Path, key: str) -> str:
    """Write `key` to a private file, then link it into place: a racing process either links
    first or reads a complete key — never an empty or half-written file."""
    fd, draft = tempfile.mkstemp(dir=key_path.parent, prefix=".key-")  # mode 0o600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, key_path)
    except FileExistsError:
        return key_path.read_text().strip()
    finally:
        os.unlink(draft)
    return key


def store_env(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    """The eventsourcing environment for the configured store."""
    env = {
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": cipher_key(settings),
        "CREATE_TABLE": "y" if create_tables else "n",
    }
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite's CREATE TABLE IF NOT EXISTS is safe for several processes at once. Writers
        # from several processes queue on a file lock (adapters/sqlite_store.py).
        env.update(PERSISTENCE_MODULE="adapters.sqlite_store:QueuedWritersFactory",
                   SQLITE_DBNAME=str(path),
                   SQLITE_LOCK_TIMEOUT="30", CREATE_TABLE="y")
        return env
    pg = settings.postgres_params()
    env.update(
        PERSISTENCE_MODULE="eventsourcing.postgres", POSTGRES_DBNAME=pg["dbname"],
        POSTGRES_HOST=pg["host"], POSTGRES_PORT=pg["port"], POSTGRES_USER=pg["user"],
        POSTGRES_PASSWORD=pg["password"], POSTGRES_POOL_SIZE="5", POSTGRES_MAX_OVERFLOW="10",
        POSTGRES_LOCK_TIMEOUT="10", POSTGRES_CONNECT_TIMEOUT="10",
    )
    return env


def open_application(settings: Settings, *, create_tables: bool = False,
                     clock: Callable[[], datetime] = utc_now) -> HubApplication:
    """The hub's Application over the configured store (no tables created on PostgreSQL
    unless asked: `hub db init` does that once)."""
    application = HubApplication(env=store_env(settings, create_tables=create_tables), clock=clock)
    application.review_days = dict(settings.review_days)
    return application


def database_file(settings: Settings) -> Path | None:
    return settings.sqlite_path if settings.is_sqlite else None
