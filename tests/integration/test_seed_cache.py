"""The bench seed cache stores real application events: decodable, hash-chained, loadable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.settings import Settings
from adapters.storage import open_application
from bench import seed_cache
from bench.projection_rebuild import EVENTS_PER_REFERRAL, referral
from domain.application import HubApplication
from domain.base import recompute_hash
from domain.chain import GENESIS
from domain.referral import Referral
from tests.stores import store_settings

PART = 7  # referrals per cache file: small, so a seed spans several parts


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(seed_cache, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(seed_cache, "PART", PART)
    return tmp_path / "cache"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with store_settings(request.param, tmp_path) as settings:
        yield settings


def seeded(settings: Settings, first: int, count: int) -> HubApplication:
    app = open_application(settings, create_tables=True)
    seed_cache.insert_referrals(app, referral, first, count, lambda n: None)
    return app


def test_cached_events_verify_and_load_like_saved_ones(cache: Path, settings: Settings) -> None:
    app = seeded(settings, first=3, count=2 * PART + 1)  # parts 0, 1 and 2, partly
    notifications = app.recorder.select_notifications(1, 1000)
    assert len(notifications) == (2 * PART + 1) * EVENTS_PER_REFERRAL
    streams: dict[object, list[object]] = {}
    for event in map(app.mapper.to_domain_event, notifications):
        assert recompute_hash(event) == event.hash
        chain = streams.setdefault(event.originator_id, [GENESIS])
        assert event.prev_hash == chain[-1]
        chain.append(event.hash)
    loaded = app.load(notifications[0].originator_id, Referral)
    assert loaded.version == EVENTS_PER_REFERRAL
    assert len(list(cache.glob("*/part-*.sqlite"))) == 3
    app.close()


def test_a_second_seed_reads_the_cache_without_building(
        cache: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(settings, first=0, count=PART).close()
    monkeypatch.setattr(seed_cache, "build_part", lambda *args: pytest.fail("rebuilt a part"))
    with store_settings("sqlite", cache.parent / "second") as other:
        app = seeded(other, first=0, count=PART)
        assert app.recorder.max_notification_id() == PART * EVENTS_PER_REFERRAL
        app.close()


def test_the_cache_is_keyed_by_the_cipher_key() -> None:
    assert seed_cache.cache_key(referral, "key-one") != seed_cache.cache_key(referral, "key-two")
    assert seed_cache.cache_key(referral, "key-one") == seed_cache.cache_key(referral, "key-one")
