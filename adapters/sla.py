"""SLA: escalate referrals whose answer is late — once per deadline — from the board.

Only one process should sweep at a time: each sweep first takes a try-lock (PostgreSQL:
`pg_try_advisory_lock` on its own short connection; SQLite: `flock` on `<db>.sla.lock`) and
skips the round when another process holds it. Correctness does not rest on the lock:
`escalate_referral` appends at most one `referral.escalated` per deadline even under races.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg

from adapters.settings import Settings
from domain.application import HubApplication, utc_now
from projections.referral_board import ReferralBoard

log = logging.getLogger("hub.sla")

LOCK_NAME = "hub.sla.sweep"
LOCK_KEY = int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)


def sweep(application: HubApplication, board: ReferralBoard, now: datetime) -> int:
    """Escalate every referral overdue at `now` and not yet escalated; returns how many."""
    board.catch_up()
    return sum(bool(application.escalate_referral(rid, now))
               for rid in board.due_for_escalation(now))


@contextmanager
def sweep_lock(settings: Settings) -> Iterator[bool]:
    """Yields whether this process holds the sweep lock (never waits for it)."""
    if settings.is_sqlite:
        path = settings.sqlite_path.with_suffix(".sla.lock")
        with open(path, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with psycopg.connect(**settings.postgres_params(), autocommit=True) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
        held = bool(row and row[0])
        try:
            yield held
        finally:
            if held:
                conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


class SlaSweeper:
    """Sweeps every `settings.sla_sweep_seconds` in a thread, when it wins the sweep lock."""

    def __init__(self, settings: Settings, application: HubApplication, board: ReferralBoard,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.settings, self.application, self.board, self.clock = settings, application, board, clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.escalated = 0

    def sweep_once(self) -> int | None:
        """One locked sweep; None when another process holds the lock."""
        with sweep_lock(self.settings) as held:
            if not held:
                return None
            count = sweep(self.application, self.board, self.clock())
        self.escalated += count
        return count

    def run(self, stop: threading.Event) -> None:
        """Sweep until `stop` is set (failures are logged; the next round retries)."""
        while not stop.is_set():
            try:
                self.sweep_once()
            except Exception:
                log.exception("SLA sweep failed")
            stop.wait(self.settings.sla_sweep_seconds)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, args=(self._stopping,),
                                            name="sla-sweeper", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
