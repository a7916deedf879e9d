"""kill -9 of the whole server while clients submit: every 201 survives, the store verifies."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from adapters.settings import Settings
from adapters.storage import open_application
from domain.presentation import chain_breaks
from tests.e2e.server import HubProcess, bearer, hub_env, referral_body, seeded_store

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
CLIENTS = 8


@dataclass
class Submissions:
    """What the clients were told: ids answered 201, and keys whose answer never came."""

    created: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> referral id
    unanswered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)


def submit_until_refused(server: HubProcess, tokens: dict[str, str], seen: Submissions) -> None:
    """Submit referrals until the server stops answering."""
    while True:
        key = uuid.uuid4().hex
        try:
            answer = requests.post(server.url("/api/v1/referrals"), timeout=30,
                                   json=referral_body(tokens["receiver_agency"], name=f"S {key}"),
                                   headers=bearer(tokens["referrer"], **{"Idempotency-Key": key}))
        except requests.RequestException:
            with seen.lock:
                seen.unanswered.append(key)
            return
        assert answer.status_code == 201, answer.text
        with seen.lock:
            seen.created[key] = answer.json()["id"]
            if len(seen.created) >= 60:
                seen.enough.set()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest,
          tmp_path: Path) -> Iterator[tuple[Settings, dict[str, str]]]:
    with seeded_store(request.param, tmp_path) as seeded:
        yield seeded


def verify_store(settings: Settings) -> int:
    """Every stream's hash chain verifies; returns how many events were checked."""
    application = open_application(settings)
    try:
        streams: dict[str, list[object]] = {}
        for notification in application.recorder.select_notifications(start=None, limit=10**9):
            streams.setdefault(str(notification.originator_id), [])
        checked = 0
        for stream_id in streams:
            events = application.history(stream_id)
            assert chain_breaks(events) == [], stream_id
            checked += len(events)
        return checked
    finally:
        application.close()


def test_every_201_survives_kill_9_of_the_process_group(
        store: tuple[Settings, dict[str, str]], tmp_path: Path) -> None:
    settings, tokens = store
    seen = Submissions()
    server = HubProcess(hub_env(settings), tmp_path, workers=3, threads=4).start()
    with ThreadPoolExecutor(CLIENTS) as pool:
        clients = [pool.submit(submit_until_refused, server, tokens, seen) for _ in range(CLIENTS)]
        assert seen.enough.wait(120), "the clients could not submit 60 referrals"
        server.kill()
        for client in clients:
            client.result()
    assert not server.group_alive()
    if settings.is_sqlite:
        with sqlite3.connect(settings.sqlite_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with HubProcess(hub_env(settings), tmp_path, workers=2, threads=4) as again:
        for key, rid in seen.created.items():
            got = requests.get(again.url(f"/api/v1/referrals/{rid}"), timeout=30,
                               headers=bearer(tokens["receiver"]))
            assert got.status_code == 200 and got.json()["subject"]["name"] == f"S {key}"
        for key in seen.unanswered:  # a client retrying after the crash gets one referral
            retry = requests.post(again.url("/api/v1/referrals"), timeout=30,
                                  json=referral_body(tokens["receiver_agency"], name=f"S {key}"),
                                  headers=bearer(tokens["referrer"], **{"Idempotency-Key": key}))
            assert retry.status_code in (200, 201), retry.text
    assert verify_store(settings) >= len(seen.created)
