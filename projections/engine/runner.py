"""A background thread that keeps one or more projections close to the head of the store.

SQLite has no subscriptions, so the thread polls; on PostgreSQL it LISTENs on the events
table's channel (eventsourcing NOTIFYs it on every insert) and wakes at once. A failure (a
killed connection, a locked database) is logged and retried after a back-off: the thread
supervises itself rather than dying like the stock runner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from projections.engine.catchup import Catchup

log = logging.getLogger("hub.projections")

MAX_BACKOFF = 30.0
# After a NOTIFY, how long the commits of a burst may gather before one round applies them
# all: every insert NOTIFYs, and a round per event costs each board a transaction.
GATHER_SECONDS = 0.05


class BackgroundRunner:
    """Calls `catch_up()` on each projection whenever the store may have moved."""

    def __init__(self, catchups: Sequence[Catchup], poll_seconds: float = 0.5) -> None:
        self.catchups = list(catchups)
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="projections", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        backoff = self.poll_seconds
        while not self._stopping.is_set():
            try:
                self._wait_for_news(self._round)
                backoff = self.poll_seconds
            except Exception:
                log.exception("projection runner failed; retrying in %.1fs", backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    def _round(self) -> None:
        for catchup in self.catchups:
            catchup.catch_up()
        self.rounds += 1

    def _wait_for_news(self, work: Callable[[], None]) -> None:
        """Do the work, then wait for a NOTIFY (PostgreSQL) or the poll interval (SQLite)."""
        recorder = self.catchups[0].application.recorder if self.catchups else None
        if isinstance(recorder, PostgresApplicationRecorder):
            self._listen(recorder, work)
        else:
            work()
            self._stopping.wait(self.poll_seconds)

    def _listen(self, recorder: PostgresApplicationRecorder, work: Callable[[], None]) -> None:
        channel = Identifier(recorder.channel_name)
        with recorder.datastore.get_connection() as conn:
            conn.execute(SQL("LISTEN {0}").format(channel))
            try:
                while not self._stopping.is_set():
                    work()
                    for _ in conn.notifies(timeout=self.poll_seconds, stop_after=1):
                        pass
                    self._stopping.wait(GATHER_SECONDS)
                    for _ in conn.notifies(timeout=0):  # those that came meanwhile: this round
                        pass
            finally:
                conn.execute(SQL("UNLISTEN {0}").format(channel))
