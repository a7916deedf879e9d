"""Bench: HTTP submit (1 and 8 clients) beside the raw eventsourcing append rate, same store,
same run; then GET of one referral and of an inbox page with 1k and with N events stored.

    .venv/bin/python bench/submit.py [--store sqlite|postgres|both] [--submits 2000]
        [--events 1000000] [--workers W] [--threads T] [--client socket|http.client|requests]
        [--floor]

Targets: HTTP submit with 8 clients ≥ 0.5 × raw append (measured with no server running, just
before and just after the HTTP runs; the ratio uses their mean); read latency at N / at 1k
≤ 1.25, every step measured once the server is idle (its jobs process has projected the store).
The submit lines also give the CPU milliseconds per request of the server (every process of
`hub serve`: workers and jobs) and of the bench's own client threads, which share the cores.
The store is filled with H2's bulk seeder (bench/projection_rebuild.py: many referrals per save).
With --floor, between the hub's runs and the second raw append, the same 8-client run against
bench/floor_app.py under granian with the same workers and threads: a bare Flask route that
saves the same aggregate with none of the contract's work (no token, validation, idempotency,
log line or representation), so that the hub's rate can be read against what Flask, granian
and the library reach on the machine in the same minutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import requests
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Figures, bench_store, checked, serving, timed_clients, timed_loop, wait_quiet
from projection_rebuild import ADMIN, AGENCIES, seed, staff

from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from domain.referral import Referral
from hub.cli.serve import default_workers
from tests.e2e.server import bearer, free_port, group_members, hub_env, referral_body, wait_for

console = Console(width=160)
READS = 300


def raw_append(app: HubApplication, count: int) -> Figures:
    """The library's own rate: one `Referral.submitted` per `save`, one writer, no HTTP."""
    sender = staff(AGENCIES[1])

    def append() -> None:
        app.save(Referral.submit(
            id=uuid.uuid4(), caller=sender, at=app.clock(), to_agency=AGENCIES[0],
            category="family_education_guidance", urgency="urgent", reason="bench",
            subject={"name": "Raw Append"}, consent={"basis": "guardian_consent"}))

    return timed_loop(append, count)


def lean_submit(base: str, token: str) -> Callable[[], Callable[[], None]]:
    """An operation factory: each client keeps one connection (http.client, keep-alive).

    The same request as `http_submit`'s, for a quarter of the client CPU: on a 2-core machine
    the bench's own clients otherwise take a third of the cores the server is measured on.
    """
    address = urlsplit(base)

    def make() -> Callable[[], None]:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
        headers = {**bearer(token), "Content-Type": "application/json"}

        def submit() -> None:
            body = json.dumps(referral_body(AGENCIES[0])).encode()
            connection.request("POST", "/api/v1/referrals", body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
            if answer.status != 201:
                raise RuntimeError(f"POST /api/v1/referrals: {answer.status} {content[:300]!r}")
        return submit
    return make


def socket_submit(base: str, token: str) -> Callable[[], Callable[[], None]]:
    """An operation factory: each client writes the same HTTP/1.1 request on a keep-alive
    socket and reads the answer by its Content-Length, checking the status line.

    The same request bytes as `lean_submit` sends, for ~a quarter of its client CPU (the
    bench's clients share the 2 cores the server is measured on). Anything but a plain
    Content-Length answer (chunked, closed connection) fails the run.
    """
    address = urlsplit(base)
    body = json.dumps(referral_body(AGENCIES[0])).encode()
    request = (f"POST /api/v1/referrals HTTP/1.1\r\nHost: {address.netloc}\r\n"
               f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body

    def make() -> Callable[[], None]:
        connection = socket.create_connection((address.hostname, address.port), timeout=60)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffered = connection.makefile("rb")

        def submit() -> None:
            connection.sendall(request)
            status = buffered.readline()
            length = None
            while (line := buffered.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            content = buffered.read(length) if length is not None else b""
            if not status.startswith(b"HTTP/1.1 201") or length is None:
                raise RuntimeError(f"POST /api/v1/referrals: {status!r} {content[:300]!r}")
        return submit
    return make


def http_submit(base: str, token: str) -> Callable[[], Callable[[], None]]:
    """An operation factory: each client gets its own keep-alive `requests` session."""
    def make() -> Callable[[], None]:
        session = requests.Session()
        session.headers.update(bearer(token))

        def submit() -> None:
            checked(session.post(f"{base}/api/v1/referrals", json=referral_body(AGENCIES[0])), 201)
        return submit
    return make


CLIENTS = {"socket": socket_submit, "http.client": lean_submit, "requests": http_submit}


def reads(base: str, token: str, referral_id: str) -> dict[str, Figures]:
    """GET one referral, and the first inbox page, READS times each (one client)."""
    session = requests.Session()
    session.headers.update(bearer(token))
    one = f"{base}/api/v1/referrals/{referral_id}"
    inbox = f"{base}/api/v1/referrals?box=inbox&limit=25"
    checked(session.get(inbox), 200)  # warm: the worker's board catches up before timing
    return {"get one": timed_loop(lambda: checked(session.get(one), 200), READS),
            "inbox page": timed_loop(lambda: checked(session.get(inbox), 200), READS)}


def server_cpu(pgid: int) -> dict[str, float]:
    """CPU seconds used so far by `hub serve`'s processes, from /proc: its workers together,
    and its jobs process (the master only forks and waits)."""
    ticks = {"workers": 0, "jobs": 0}
    for pid in group_members(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            jobs = b"main(['jobs'])" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # ended while we looked
        ticks["jobs" if jobs else "workers"] += int(fields[11]) + int(fields[12])  # utime + stime
    return {part: n / os.sysconf("SC_CLK_TCK") for part, n in ticks.items()}


def server_cpu_seconds(pgid: int) -> float:
    """CPU seconds used so far by all of `hub serve`'s processes."""
    return sum(server_cpu(pgid).values())


def per_worker(log: str, skip: int) -> list[int]:
    """Requests each worker process answered, most first, from the access lines after `skip`."""
    counts: Counter[int] = Counter()
    for line in log.splitlines()[skip:]:
        if '"hub.access"' in line:
            counts[json.loads(line)["pid"]] += 1
    return sorted(counts.values(), reverse=True)


def cpu_per_request(work: Callable[[], Figures], pgid: int) -> tuple[Figures, str, float]:
    """Run `work`; its figures, the server's CPU ms per operation (all, workers, jobs) and this
    process's (the bench's own HTTP clients share the machine's cores with the server)."""
    server, client = server_cpu(pgid), time.process_time()
    got = work()
    used = {part: (seconds - server[part]) * 1000 / got.count
            for part, seconds in server_cpu(pgid).items()}
    server_ms = (f"{sum(used.values()):.2f} (workers {used['workers']:.2f}, "
                 f"jobs {used['jobs']:.2f})")
    return got, server_ms, (time.process_time() - client) * 1000 / got.count


def tokens_for(app: HubApplication) -> dict[str, str]:
    """Staff tokens of the busy receiver (AGENCIES[0]) and of a referrer (AGENCIES[1])."""
    return {slug: app.issue_token(ADMIN, agency=slug, user=f"bench-{uuid.uuid4().hex[:6]}",
                                  role="staff") for slug in AGENCIES[:2]}


def run(kind: str, args: argparse.Namespace) -> None:
    console.rule(f"{kind}: {args.workers} workers × {args.threads} threads, "
                 f"{os.cpu_count()} cores, clients: {args.client}")
    with bench_store(kind) as (settings, workdir):
        app = open_application(settings)
        following = seed(app, 1000)
        tokens = tokens_for(app)
        # The library alone, with no server running (no projection competes for the store),
        # just before and just after the HTTP runs: this VM's speed drifts by minutes.
        before = measured_raw(app, args.submits, "before the server")
        with serving(settings, workdir, args.workers, args.threads) as server:
            assert server.process is not None
            pgid = server.process.pid
            first = checked(requests.post(server.url("/api/v1/referrals"), headers=bearer(
                tokens[AGENCIES[1]]), json=referral_body(AGENCIES[0])), 201).json()["id"]
            waited = wait_quiet(lambda: server_cpu_seconds(pgid))
            console.print(f"(server idle after {waited:.1f} s: its jobs process projected the "
                          "seed and the raw appends)")
            small_at = app.recorder.max_notification_id() or 0
            small = reads(server.base, tokens[AGENCIES[0]], first)
            make = CLIENTS[args.client](server.base, tokens[AGENCIES[1]])
            submits = {}
            for clients in (1, 8):
                wait_quiet(lambda: server_cpu_seconds(pgid))
                lines = len(server.log().splitlines())
                got, server_ms, client_ms = cpu_per_request(
                    lambda n=clients: timed_clients(make, n, args.submits), pgid)
                submits[clients] = got
                console.print(f"HTTP submit, {clients} client(s)       {got.line()}"
                              f"  CPU ms/request: server {server_ms}, bench client "
                              f"{client_ms:.2f}; per worker "
                              f"{'/'.join(map(str, per_worker(server.log(), lines)))}")
        floor = measured_floor(settings, tokens[AGENCIES[1]], args) if args.floor else None
        after = measured_raw(app, args.submits, "after the server")
        raw = (before.rate + after.rate) / 2
        for clients, got in submits.items():
            console.print(f"HTTP submit, {clients} client(s) ÷ raw append (mean of before and "
                          f"after): {got.rate / raw:.2f}  (÷ before {got.rate / before.rate:.2f},"
                          f" ÷ after {got.rate / after.rate:.2f})")
        if floor is not None:
            console.print(f"bare Flask floor, 8 clients ÷ raw append: {floor.rate / raw:.2f}; "
                          f"HTTP submit, 8 clients ÷ floor: {submits[8].rate / floor.rate:.2f}")
        with serving(settings, workdir, args.workers, args.threads) as server:
            assert server.process is not None
            report_reads(app, server.base, tokens, first, (small_at, small), args.events,
                         following, server.process.pid)
        app.close()


def measured_floor(settings: Settings, token: str, args: argparse.Namespace) -> Figures:
    """8 clients against bench/floor_app.py under granian (the hub's workers and threads)."""
    port = free_port()
    code = ("from granian import Granian\nfrom granian.constants import Interfaces\n"
            f"Granian('bench.floor_app:app', address='127.0.0.1', port={port}, "
            f"interface=Interfaces.WSGI, workers={args.workers}, blocking_threads={args.threads}, "
            "websockets=False, log_access=False).serve()\n")
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen([sys.executable, "-c", code], env=hub_env(settings), cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        if not wait_for(lambda: _accepts(port), 60):
            raise RuntimeError("the floor server did not start")
        make = CLIENTS[args.client](f"http://127.0.0.1:{port}", token)
        timed_clients(make, 8, 200)  # each worker opens its application on its first request
        wait_quiet(lambda: server_cpu_seconds(process.pid))
        got, server_ms, client_ms = cpu_per_request(
            lambda: timed_clients(make, 8, args.submits), process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    console.print(f"bare Flask floor, 8 clients   {got.line()}  CPU ms/request: server "
                  f"{server_ms}, bench client {client_ms:.2f}")
    return got


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def measured_raw(app: HubApplication, count: int, when: str) -> Figures:
    """`raw_append`, printed with its CPU per append."""
    started = time.process_time()
    raw = raw_append(app, count)
    console.print(f"raw append, {when:17} {raw.line()}  CPU "
                  f"{(time.process_time() - started) * 1000 / raw.count:.2f} ms/append")
    return raw


def report_reads(app: HubApplication, base: str, tokens: dict[str, str], referral_id: str,
                 small: tuple[int, dict[str, Figures]], events: int, following: int,
                 pgid: int) -> None:
    """Fill the store to `events`, then (once the server has projected the fill, as it had
    projected the small store) read again and compare with the small store's figures."""
    stored = app.recorder.max_notification_id() or 0
    if events > stored:
        seed(app, events - stored, first=following)
    total = app.recorder.max_notification_id() or 0
    waited = wait_quiet(lambda: server_cpu_seconds(pgid), timeout=900)
    console.print(f"(server idle {waited:.0f} s after the fill: its jobs process projected it)")
    big = reads(base, tokens[AGENCIES[0]], referral_id)
    small_at, first = small
    for name, before in first.items():
        console.print(f"{name:10} {small_at:>6,} events: median {before.median_ms:6.2f} ms  "
                      f"{total:>9,} events: median {big[name].median_ms:6.2f} ms "
                      f"(p99 {big[name].p99_ms:6.2f})  ratio "
                      f"{big[name].median_ms / before.median_ms:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--submits", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="as `hub serve` (1 per core, at least 2)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--client", choices=sorted(CLIENTS), default="socket",
                        help="HTTP client of the submit runs (all send the same requests)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure bench/floor_app.py, a bare Flask route saving the "
                             "same aggregate, in the same run")
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if args.store == "both" else [args.store]):
        run(kind, args)


if __name__ == "__main__":
    main()
