"""Settings from the environment (a `.env` file in the working directory may add to it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from dotenv import dotenv_values

DEFAULT_DATABASE = "var/hub.sqlite"


class SettingsError(ValueError):
    """A setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """The hub's configuration, read once at start-up."""

    database_url: str
    admin_token: str | None = None
    cipher_key: str | None = None
    kafka_bootstrap: str | None = None
    kafka_topic_prefix: str = "referral-hub"
    sla_sweep_seconds: float = 60.0
    log_level: str = "INFO"
    review_days: tuple[tuple[str, int], ...] = (("red", 7), ("orange", 30), ("blue", 90))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read `HUB_*` variables; `.env` fills in what the environment lacks."""
        env = {**{k: v for k, v in dotenv_values(".env").items() if v is not None},
               **(os.environ if environ is None else environ)}
        default = f"sqlite:///{Path.cwd() / DEFAULT_DATABASE}"
        return cls(
            database_url=env.get("HUB_DATABASE_URL") or default,
            admin_token=env.get("HUB_ADMIN_TOKEN") or None,
            cipher_key=env.get("HUB_CIPHER_KEY") or None,
            kafka_bootstrap=env.get("HUB_KAFKA_BOOTSTRAP") or None,
            kafka_topic_prefix=env.get("HUB_KAFKA_TOPIC_PREFIX") or "referral-hub",
            sla_sweep_seconds=float(env.get("HUB_SLA_SWEEP_SECONDS") or 60),
            log_level=env.get("HUB_LOG_LEVEL") or "INFO",
            review_days=review_days(env),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        """The embedded database file (`sqlite:///relative` or `sqlite:////absolute`)."""
        if not self.is_sqlite:
            raise SettingsError("Not an SQLite database URL.")
        path = self.database_url.removeprefix("sqlite:///")
        if not path:
            raise SettingsError("HUB_DATABASE_URL names no SQLite file.")
        return Path(path)

    def postgres_params(self) -> dict[str, str]:
        """Host, port, database, user and password of a `postgresql://` URL."""
        url = urlparse(self.database_url)
        if url.scheme not in ("postgresql", "postgres"):
            raise SettingsError(f"Unsupported database URL scheme {url.scheme!r}.")
        return {
            "host": url.hostname or "127.0.0.1",
            "port": str(url.port or 5432),
            "dbname": url.path.lstrip("/") or "postgres",
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
        }


def review_days(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """Days between case reviews by colour: HUB_REVIEW_DAYS_RED / _ORANGE / _BLUE."""
    days = []
    for colour, default in (("red", 7), ("orange", 30), ("blue", 90)):
        name = f"HUB_REVIEW_DAYS_{colour.upper()}"
        raw = env.get(name) or str(default)
        if not raw.isdigit() or not 1 <= int(raw) <= 3650:
            raise SettingsError(f"{name} must be a whole number of days from 1 to 3650.")
        days.append((colour, int(raw)))
    return tuple(days)
