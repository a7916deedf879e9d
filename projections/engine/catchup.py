"""Batched catch-up: read notifications in pages, decode them, apply a page in one transaction."""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from projections.engine.decoding import LeanDecoder
from projections.engine.tracked import Txn

BATCH_SIZE = 1000
# A rebuild applies pages `view.rebuild_factor` times larger (tracked.py): fewer commits, and
# a referral whose events are spread over the log is loaded and rewritten fewer times.
# A page is read from a window of at most this many pages' worth of positions: the query
# then reads a bounded range of the log (`notification_id` between two bounds) instead of
# walking the whole remaining log for the first `size` rows of the wanted topics.
WINDOW_PAGES = 4

V = TypeVar("V")
T = TypeVar("T", bound=Txn)

Progress = Callable[[int, int], None]  # (position, head)


class LockedView(Protocol[T]):
    """A tracking recorder that can open a locked transaction and forget everything."""

    def locked(self, application_name: str) -> Any: ...
    def reset(self, application_name: str) -> None: ...
    read_ahead: bool  # whether decoding the next page overlaps the view's writes
    rebuild_factor: int  # how many catch-up pages make one rebuild page

    def restore_indexes(self, application_name: str) -> None: ...
    def analyze(self) -> None: ...
    def max_tracking_id(self, application_name: str) -> int | None: ...


class BatchProjection(Projection[Any], ABC, Generic[T]):
    """A projection whose handlers apply many events inside one view transaction."""

    topics: tuple[str, ...] = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The stock runner's path: one event, one transaction, tracked exactly once."""
        with self.view.locked(tracking.application_name) as txn:
            self.apply(txn, [domain_event])
            txn.track(tracking)

    @abstractmethod
    def apply(self, txn: T, events: Sequence[Any]) -> None:
        """Apply decoded events, in order, inside `txn`."""


@dataclass(frozen=True)
class Status:
    """Where a projection stands against the event store."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Catchup:
    """Drives one projection from an application's notification log, a page at a time."""

    def __init__(self, projection: BatchProjection[Any], application: Application[Any],
                 batch_size: int = BATCH_SIZE) -> None:
        self.projection, self.application = projection, application
        self.view: LockedView[Any] = projection.view
        self.batch_size = batch_size
        self.decoder = LeanDecoder(application.mapper)

    @property
    def app_name(self) -> str:
        return self.application.name

    def head(self) -> int:
        return self.application.recorder.max_notification_id() or 0  # type: ignore[attr-defined,no-any-return]

    def position(self) -> int:
        return self.view.max_tracking_id(self.app_name) or 0

    def status(self) -> Status:
        return Status(self.projection.name, self.position(), self.head())

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every event up to the head as it is now; returns how many were applied."""
        return self._catch_up(self.batch_size, progress)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empty the view, its tracking and its secondary indexes in one transaction, catch up
        from zero in large pages, then build the indexes (also when the catch-up fails)."""
        self.view.reset(self.app_name)
        try:
            with collector_paused():
                return self._catch_up(self.batch_size * self.view.rebuild_factor, progress)
        finally:
            self.view.restore_indexes(self.app_name)

    def _catch_up(self, size: int, progress: Progress | None) -> int:
        head, applied = self.head(), 0
        if self.view.read_ahead and head - self.position() > size:
            return self._catch_up_pipelined(head, size, progress)
        while (position := self.position()) < head:
            applied += self._apply(position, *self._read(position, head, size)) or 0
            if progress is not None:
                progress(self.position(), head)
        return applied

    def _catch_up_pipelined(self, head: int, size: int, progress: Progress | None) -> int:
        """Many pages behind, on a view written by another process (PostgreSQL): read and
        decode the next page in a second thread while this one applies the current page, so
        the server's writes overlap the decoding."""
        applied, position = 0, self.position()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="catchup-read") as reader:
            ahead = reader.submit(self._read, position, head, size)
            while ahead is not None:
                end, events = ahead.result()
                ahead = reader.submit(self._read, end, head, size) if end < head else None
                done = self._apply(position, end, events)
                if done is None:  # another process moved the position: read from there
                    if ahead is not None:
                        ahead.result()
                    position = self.position()
                    ahead = reader.submit(self._read, position, head, size) \
                        if position < head else None
                else:
                    applied, position = applied + done, end
                if progress is not None:
                    progress(position, head)
        return applied

    def _read(self, start: int, head: int, size: int) -> tuple[int, list[Any]]:
        """The page after `start`, decoded, and the position it ends at: at most `size`
        events of the projection's topics among the next `size * WINDOW_PAGES` positions
        (and none beyond `head`)."""
        stop = min(head, start + size * WINDOW_PAGES)
        notifications = self.application.recorder.select_notifications(  # type: ignore[attr-defined]
            start + 1, size, stop=stop, topics=self.projection.topics)
        end = notifications[-1].id if len(notifications) == size else stop
        return end, self.decoder.decode(notifications)

    def _apply(self, start: int, end: int, events: list[Any]) -> int | None:
        """Apply a page read after `start`; None if another process moved the position
        meanwhile (it applied this page: read again from where it stands)."""
        with self.view.locked(self.app_name) as txn:
            if (txn.position or 0) != start:
                return None
            self.projection.apply(txn, events)
            txn.track(Tracking(self.app_name, end))
        return len(events)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run without Python's cyclic garbage collector, the heap as it stands frozen out of it.

    A rebuild allocates millions of short-lived, acyclic objects (decoded events, documents,
    rows), and each allocation burst triggers a collection that rescans every object already
    alive: time spent for no garbage. Reference counting still frees what the pages drop; the
    collector resumes, and the frozen objects rejoin it, when the block ends.
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


class ReadModel:
    """A projection with its view and batched catch-up: what every board and the stats share."""

    def __init__(self, projection: BatchProjection[Any], application: Any,
                 batch_size: int = BATCH_SIZE) -> None:
        self.projection = projection
        self.view = projection.view
        self.catchup = Catchup(projection, application, batch_size)

    @property
    def name(self) -> str:
        return str(self.projection.name)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply what the store holds beyond the view's position (cheap at the head)."""
        return self.catchup.catch_up(progress)
