"""Racing writers against a real `hub serve` with several workers, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.settings import Settings
from adapters.storage import open_application
from domain.access import access_log_id
from domain.presentation import chain_breaks
from tests.e2e.server import HubProcess, bearer, hub_env, referral_body, seeded_store

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORES)
def accepted(request: pytest.FixtureRequest,
             tmp_path: Path) -> Iterator[tuple[HubProcess, Settings, dict[str, str], str]]:
    """A running hub (4 workers × 4 threads) and one accepted referral."""
    with seeded_store(request.param, tmp_path) as (settings, tokens), \
            HubProcess(hub_env(settings), tmp_path, workers=4, threads=4) as server:
        created = requests.post(server.url("/api/v1/referrals"), timeout=30,
                                json=referral_body(tokens["receiver_agency"]),
                                headers=bearer(tokens["referrer"]))
        assert created.status_code == 201, created.text
        rid = created.json()["id"]
        accept = requests.post(server.url(f"/api/v1/referrals/{rid}/accept"), json={},
                               headers=bearer(tokens["receiver"]), timeout=30)
        assert accept.status_code == 200, accept.text
        yield server, settings, tokens, rid


def stored_notes(settings: Settings, rid: str) -> list[str]:
    """The note texts in the referral's stored history (read from the store, not the API)."""
    application = open_application(settings)
    try:
        return [e.text for e in application.history(rid) if type(e).TYPE == "referral.note_added"]
    finally:
        application.close()


def test_64_concurrent_notes_from_both_parties_are_all_kept(
        accepted: tuple[HubProcess, Settings, dict[str, str], str]) -> None:
    server, settings, tokens, rid = accepted
    start = threading.Barrier(64)

    def note(i: int) -> tuple[int, str, Any]:
        text = f"note {i} {uuid.uuid4().hex}"
        party = tokens["referrer" if i % 2 else "receiver"]
        start.wait()
        answer = requests.post(server.url(f"/api/v1/referrals/{rid}/notes"), json={"text": text},
                               headers=bearer(party), timeout=120)
        return answer.status_code, text, answer.headers.get("ETag")

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(note, range(64)))
    assert [status for status, _, _ in results] == [200] * 64
    kept = stored_notes(settings, rid)
    assert sorted(kept) == sorted(text for _, text, _ in results)
    assert len({etag for _, _, etag in results}) == 64  # each write got its own version
    history = requests.get(server.url(f"/api/v1/referrals/{rid}/history"),
                           headers=bearer(tokens["referrer"]), timeout=30)
    if history.status_code == 200:  # the history route, when served, must agree
        assert history.json()["verified"] is True
        assert len(history.json()["events"]) == 2 + 64


def test_eight_writers_with_the_same_if_match_exactly_one_wins(
        accepted: tuple[HubProcess, Settings, dict[str, str], str]) -> None:
    server, settings, tokens, rid = accepted
    etag = requests.get(server.url(f"/api/v1/referrals/{rid}"), headers=bearer(tokens["receiver"]),
                        timeout=30).headers["ETag"]
    start = threading.Barrier(8)

    def note(i: int) -> tuple[int, str]:
        text = f"racing {i} {uuid.uuid4().hex}"
        party = tokens["referrer" if i % 2 else "receiver"]
        start.wait()
        answer = requests.post(server.url(f"/api/v1/referrals/{rid}/notes"), json={"text": text},
                               headers=bearer(party, **{"If-Match": etag}), timeout=60)
        return answer.status_code, text

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(note, range(8)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * 7
    winner = next(text for status, text in results if status == 200)
    assert stored_notes(settings, rid) == [winner]


def test_64_concurrent_reads_from_both_parties_are_all_recorded_in_one_chain(
        accepted: tuple[HubProcess, Settings, dict[str, str], str]) -> None:
    server, settings, tokens, rid = accepted
    start = threading.Barrier(64)

    def read(i: int) -> int:
        purpose = f"read {i}"
        party = tokens["referrer" if i % 2 else "receiver"]
        start.wait()
        return requests.get(server.url(f"/api/v1/referrals/{rid}"), timeout=120,
                            headers={**bearer(party), "X-Purpose": purpose}).status_code

    with ThreadPoolExecutor(64) as pool:
        assert list(pool.map(read, range(64))) == [200] * 64
    application = open_application(settings)
    try:
        log = application.history(access_log_id(rid))
    finally:
        application.close()
    assert [e.originator_version for e in log] == list(range(1, 66))
    assert sorted(e.purpose for e in log[1:]) == sorted(f"read {i}" for i in range(64))
    assert chain_breaks(log) == []
