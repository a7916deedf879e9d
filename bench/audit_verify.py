"""Bench: `hub verify` events/s over N events beside the raw read rate; bundle export and
offline verification time. Run by hand: `.venv/bin/python -m bench.audit_verify --events 1000000`."""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from adapters.audit_keys import audit_key
from adapters.auditor import Auditor
from adapters.checkpoints import checkpoint_store
from adapters.settings import Settings
from adapters.storage import open_application
from bench.audit_data import fill
from projections.audit.bundle import export_bundle, verify_bundle
from projections.audit.log import Decoder, batches, library_store
from tests.stores import TEST_CIPHER_KEY


class Timing(NamedTuple):
    """Seconds of one step: wall clock, and CPU of this process and its workers together."""

    wall: float
    cpu: float


def timed(label: str, work: Callable[[], object]) -> Timing:
    """The seconds `work` took (printed, this process's CPU apart from its workers')."""
    start, cpu, children, machine = (time.perf_counter(), time.process_time(), _children_cpu(),
                                     _machine_idle())
    work()
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    spawned = _children_cpu() - children
    idle = _idle_share(machine, _machine_idle())
    print(f"{label:<38} {elapsed:8.2f} s wall {used:8.2f} s CPU (this process)"
          + (f" + {spawned:.2f} s CPU (its worker processes)" if spawned else "")
          + (f"; machine idle {idle:.0%}" if idle is not None else ""))
    return Timing(elapsed, used + spawned)


def _machine_idle() -> tuple[int, int] | None:
    """(idle, total) CPU ticks of the whole machine since boot (Linux), to see whether other
    work took the cores a step could have used."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return ticks[3] + ticks[4], sum(ticks)


def _idle_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    if before is None or after is None or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def read_and_decrypt(app: object) -> int:
    """The floor under `hub verify`: every row read and decrypted, nothing parsed or hashed."""
    decrypt = Decoder(app).decrypt  # type: ignore[arg-type]
    return sum(len(decrypt(row[4])) for found in batches(app) for row in found)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database", help="sqlite:///… or postgresql://… (default: a temp file)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    url = args.database or f"sqlite:///{folder / 'hub.sqlite'}"
    settings = Settings(database_url=url, cipher_key=TEST_CIPHER_KEY)
    app = open_application(settings, create_tables=True)
    key = audit_key(settings, {"HUB_AUDIT_KEY_FILE": ""} if settings.is_sqlite else
                    {"HUB_AUDIT_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="})
    auditor = Auditor(app, checkpoint_store(app), key)
    if (app.recorder.max_notification_id() or 0) < args.events:
        timed("fill", lambda: fill(app, args.events))
    n = app.recorder.max_notification_id() or 0
    store = library_store(app.recorder)
    read_by = f"plain SQL ({store})" if store else "the recorder's select_notifications"
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"store {url.split(':')[0]}; {n} events; log read by {read_by}")
    read = timed("raw read (select, no decrypt)", lambda: sum(len(b) for b in batches(app)))
    floor = timed("read + decrypt (no parse, no hash)", lambda: read_and_decrypt(app))
    timed("checkpoint (verify + sign)", auditor.checkpoint)
    verify = timed("hub verify (1 process)", lambda: auditor.verify())
    parallel = timed("hub verify (2 worker processes)", lambda: auditor.verify(workers=2))
    out = folder / "bundle"
    timed("export bundle", lambda: export_bundle(app, out, auditor.store.all(),
                                                 auditor.public_key, datetime.now(UTC)))
    offline = timed("verify bundle offline", lambda: verify_bundle(out, auditor.public_key))
    report = auditor.verify()
    assert report.ok, report.first_break
    print(f"raw read        {n / read.wall:10,.0f} events/s")
    print(f"read + decrypt  {n / floor.wall:10,.0f} events/s")
    print(f"hub verify      {n / verify.wall:10,.0f} events/s  (1 process; "
          f"{floor.wall / verify.wall:.2f} of read + decrypt)")
    print(f"hub verify      {n / parallel.wall:10,.0f} events/s  (2 workers)")
    print(f"hub verify      {2 * n / parallel.cpu:10,.0f} events/s  (2 workers, from their CPU "
          f"seconds: the rate with both cores free; {parallel.cpu / n * 1e6:.1f} µs per event)")
    print(f"bundle verify   {n / offline.wall:10,.0f} events/s  "
          f"({offline.wall:.1f} s for {n} events)")
    app.close()


if __name__ == "__main__":
    main()
