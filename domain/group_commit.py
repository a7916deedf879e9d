"""Group commit: the new streams of concurrent callers, stored in one transaction.

A caller queues its events and either waits or, when no batch is being written, becomes the
writer of everything queued so far (no timer: a batch is whatever arrived while the previous
one was being committed). Each caller returns only once the transaction holding its events
has committed. When a batch fails (one stream exists already, say), each caller's events are
saved again on their own, so one caller's failure never becomes another's.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

# Callers' event groups in one transaction at most.
MAX_BATCH = 64


class _Queued:
    """One caller's events and, once settled, the outcome of saving them."""

    def __init__(self, events: Sequence[Any]) -> None:
        self.events = events
        self.settled = False
        self.error: BaseException | None = None

    def settle(self, error: BaseException | None = None) -> None:
        self.settled, self.error = True, error


class GroupCommit:
    """Saves each caller's events atomically, many callers per transaction."""

    def __init__(self, save: Callable[..., Any], max_batch: int = MAX_BATCH) -> None:
        # Weakly: the Application owns this, and closes its pool when it is dropped.
        self._save = weakref.WeakMethod(save) if hasattr(save, "__self__") else lambda: save
        self._max_batch = max_batch
        self._queue: list[_Queued] = []
        self._writing = False
        self._changed = threading.Condition()

    def save(self, events: Sequence[Any]) -> None:
        """Store `events` together (all or none); raises what saving them alone would raise."""
        mine = _Queued(events)
        with self._changed:
            self._queue.append(mine)
            while not mine.settled:
                if self._writing:
                    self._changed.wait()
                    continue
                self._writing = True
                batch, self._queue = self._queue[:self._max_batch], self._queue[self._max_batch:]
                self._changed.release()
                try:
                    self._write(batch)
                finally:
                    for queued in batch:  # only if _write itself was interrupted
                        if not queued.settled:
                            queued.settle(RuntimeError("The save was interrupted."))
                    self._changed.acquire()
                    self._writing = False
                    self._changed.notify_all()
        if mine.error is not None:
            raise mine.error

    def _write(self, batch: list[_Queued]) -> None:
        save = self._save()
        if save is None:
            raise RuntimeError("The application is gone.")
        try:
            save(*(event for queued in batch for event in queued.events))
        except Exception as error:  # noqa: BLE001 - re-raised in the thread it belongs to
            if len(batch) == 1:
                batch[0].settle(error)
                return
            for queued in batch:  # alone, so that only the culprit fails
                self._write([queued])
            return
        for queued in batch:
            queued.settle()
