"""Test stores: in-memory, a fresh SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from adapters.settings import Settings

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_CIPHER_KEY = "Cs9Mx8Ux/Gz/VedUKzSeui7E5u9L8lWq1eiGzvHMbKM="


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    """Skip without PostgreSQL — except in CI, where its absence is a failure."""
    if postgres_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is required in CI and is not reachable.")
    pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable.")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database (random name), dropped afterwards; yields its URL."""
    require_postgres()
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def store_settings(kind: str, tmp_path: Path, **overrides: str) -> Iterator[Settings]:
    """Settings for a fresh store of `kind` ('sqlite' or 'postgres')."""
    if kind == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                       cipher_key=TEST_CIPHER_KEY, **overrides)  # type: ignore[arg-type]
        return
    with fresh_postgres_database() as url:
        yield Settings(database_url=url, cipher_key=TEST_CIPHER_KEY, **overrides)  # type: ignore[arg-type]
