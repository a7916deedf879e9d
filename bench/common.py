"""Shared bench helpers: a fresh initialised store, a real `hub serve`, timing and figures."""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.*

from adapters.settings import Settings
from tests.e2e.server import HubProcess, db_init, hub_env
from tests.stores import store_settings


@dataclass(frozen=True)
class Figures:
    """Throughput and latency of one measured run."""

    count: int
    seconds: float
    median_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def line(self) -> str:
        return (f"{self.rate:9,.0f}/s  median {self.median_ms:7.2f} ms  p99 {self.p99_ms:7.2f} ms"
                f"  ({self.count:,} in {self.seconds:.1f} s)")


def figures(latencies: list[float], seconds: float) -> Figures:
    """Figures from per-operation latencies (seconds) and the wall time of the run."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Figures(len(ordered), seconds, statistics.median(ordered) * 1000, p99 * 1000)


def timed_loop(operation: Callable[[], None], count: int) -> Figures:
    """Run `operation` `count` times in a row."""
    latencies = []
    began = time.perf_counter()
    for _ in range(count):
        start = time.perf_counter()
        operation()
        latencies.append(time.perf_counter() - start)
    return figures(latencies, time.perf_counter() - began)


def timed_clients(make_operation: Callable[[], Callable[[], None]], clients: int,
                  count: int) -> Figures:
    """`clients` threads, each with its own operation (and HTTP connection), `count` in all.

    The clients draw operations from one shared pool until `count` have started, as a
    closed-loop load generator does: a client whose connection a less busy server worker
    holds does more of them. (With a fixed share per client, the run lasted as long as the
    slowest connection's share: when granian gave 6 of the 8 connections to one worker, the
    other worker's clients finished early and the tail ran on one worker, one core.)
    """
    latencies: list[float] = []
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)
    left = [count]

    def take() -> bool:
        with lock:
            left[0] -= 1
            return left[0] >= 0

    def client() -> None:
        operation, mine = make_operation(), []
        gate.wait()
        while take():
            start = time.perf_counter()
            operation()
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client) for _ in range(clients)]
        gate.wait()
        began = time.perf_counter()
        for future in futures:
            future.result()
        seconds = time.perf_counter() - began
    return figures(latencies, seconds)


@contextmanager
def bench_store(kind: str) -> Iterator[tuple[Settings, Path]]:
    """A fresh store of `kind` after `hub db init`, and a scratch directory."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with store_settings(kind, workdir) as settings:
            db_init(settings, workdir)
            yield settings, workdir


def wait_quiet(cpu_seconds: Callable[[], float], *, step: float = 0.5,
               timeout: float = 120.0) -> float:
    """Wait until `cpu_seconds()` (a server's CPU so far) stops growing: its jobs process has
    projected what the store held when it started (the seed, the raw appends), so the measured
    requests do not pay for that catch-up. Returns the seconds waited."""
    began = last_change = time.monotonic()
    before = cpu_seconds()
    while time.monotonic() - began < timeout:
        time.sleep(step)
        now = cpu_seconds()
        if now - before > 0.02 * step:
            last_change = time.monotonic()
        elif time.monotonic() - last_change >= 2 * step:
            break
        before = now
    return time.monotonic() - began


@contextmanager
def serving(settings: Settings, workdir: Path, workers: int, threads: int) -> Iterator[HubProcess]:
    """`hub serve` over the store, started and ready."""
    with HubProcess(hub_env(settings), workdir, workers=workers,
                    threads=threads) as server:
        yield server


def checked(response: requests.Response, status: int) -> requests.Response:
    """The response, which must have `status` (a bench that measures errors measures nothing)."""
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.url}: "
                           f"{response.status_code} {response.text[:300]}")
    return response
