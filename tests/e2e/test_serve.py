"""`hub serve` for real: probes, several workers, SIGTERM, and logs without secrets."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import requests

from adapters.settings import Settings
from tests.e2e.server import (
    HUB,
    HubProcess,
    bearer,
    group_members,
    hub_env,
    referral_body,
    seeded_store,
    wait_for,
)
from tests.stores import PG_ADMIN, TEST_CIPHER_KEY, fresh_postgres_database

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=STORES)
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, dict[str, str]]]:
    """A running `hub serve` (3 workers) over a fresh, seeded store of each kind."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    with seeded_store(request.param, tmp_path) as (settings, tokens), \
            HubProcess(hub_env(settings), tmp_path, workers=3, threads=4) as server:
        yield server, tokens


@pytest.fixture(params=STORES)
def stoppable(request: pytest.FixtureRequest,
              tmp_path: Path) -> Iterator[HubProcess]:
    """A running `hub serve` of its own, for a test that stops it."""
    with seeded_store(request.param, tmp_path) as (settings, _), \
            HubProcess(hub_env(settings), tmp_path, workers=3, threads=2) as server:
        yield server


def test_probes_answer(served: tuple[HubProcess, dict[str, str]]) -> None:
    server, _ = served
    assert requests.get(server.url("/healthz"), timeout=5).json() == {"status": "ok"}
    assert requests.get(server.url("/readyz"), timeout=5).status_code == 200


def test_several_workers_serve_requests(served: tuple[HubProcess, dict[str, str]]) -> None:
    server, tokens = served
    headers = bearer(tokens["referrer"])

    def agencies(_: int) -> int:
        return requests.get(server.url("/api/v1/agencies"), headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(24) as pool:
        assert set(pool.map(agencies, range(240))) == {200}
    pids = {r["pid"] for r in server.log_records() if r.get("path") == "/api/v1/agencies"}
    assert len(pids) >= 2, f"all requests were served by one process: {pids}"


def test_sigterm_stops_every_process(stoppable: HubProcess) -> None:
    server = stoppable
    assert wait_for(lambda: "jobs started" in server.log(), 60)
    assert server.terminate() == 0
    assert server.wait_gone(30), "a worker or the jobs process outlived the master"
    assert "hub serve stopped" in server.log()


def test_request_log_has_request_id_and_no_secrets(
        served: tuple[HubProcess, dict[str, str]]) -> None:
    server, tokens = served
    name, id_number = "Canary Qiu-Xiaolan", "420802201001019999"
    body = referral_body(tokens["receiver_agency"], name=name, id_number=id_number)
    created = requests.post(server.url("/api/v1/referrals"), json=body, timeout=30,
                            headers=bearer(tokens["referrer"], **{"Idempotency-Key": "canary-1"}))
    assert created.status_code == 201, created.text
    got = requests.get(created.headers["Location"] if created.headers["Location"].startswith(
        "http") else server.url(created.headers["Location"]), headers=bearer(tokens["receiver"]),
        timeout=30)
    assert got.json()["subject"]["name"] == name
    refused = requests.post(server.url("/api/v1/referrals"), json={**body, "surprise": name},
                            headers=bearer(tokens["referrer"]), timeout=30)
    assert refused.status_code == 422
    records = {r.get("request_id"): r for r in server.log_records()}
    for response in (created, got, refused):
        line = records[response.headers["X-Request-Id"]]
        assert line["status"] == response.status_code and line["method"] in ("GET", "POST")
    log = server.log()
    for secret in (tokens["referrer"], tokens["receiver"], name, "Qiu-Xiaolan", id_number):
        assert secret not in log


def test_readyz_is_503_when_postgres_is_gone(tmp_path: Path) -> None:
    with seeded_store("postgres", tmp_path) as (settings, _), \
            HubProcess(hub_env(settings), tmp_path, workers=2, threads=2) as server:
        dbname = settings.postgres_params()["dbname"]
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')
        assert requests.get(server.url("/readyz"), timeout=60).status_code == 503
        assert requests.get(server.url("/healthz"), timeout=10).status_code == 200


def test_serve_refuses_postgres_without_tables(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        env = hub_env(Settings(database_url=url, cipher_key=TEST_CIPHER_KEY))
        done = subprocess.run([str(HUB), "serve", "--port", "1"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "hub db init" in done.stderr


def test_background_jobs_run_in_one_process_only(
        served: tuple[HubProcess, dict[str, str]]) -> None:
    server, _ = served
    assert server.process is not None
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in group_members(server.process.pid)]
    assert sum(b"main(['jobs'])" in command for command in commands) == 1
    assert wait_for(lambda: "jobs started" in server.log(), 60)
    started = [r for r in server.log_records() if r["message"].startswith("jobs started")]
    assert len(started) == 1 and "sla_job" in started[0]["message"]
