"""`hub verify` on several cores: each worker reads, decrypts and checks a chunk of the log and
follows the chains inside it; the parent joins the chunks (`projections.audit.chunks`) with
work per stream and per chunk, not per event.

Workers are spawned, not forked: a forked child would share the parent's database
connections. Each opens its own Application from the parent's environment, and none runs
the parent's main module (see `_bare_main`).
"""

from __future__ import annotations

import multiprocessing
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import Application
from eventsourcing.popo import POPOApplicationRecorder

from projections.audit.check import EventChecker
from projections.audit.checkpoint import Checkpoint
from projections.audit.chunks import Chunk, ChunkJoiner, follow_chunk
from projections.audit.log import Decoder, batches, log_size
from projections.audit.verify import Progress, Report, verify_store

CHUNK = 16_384  # positions per task: a power of two, so gapless chunks join as subtree roots
MIN_PARALLEL = 200_000  # below this, starting processes costs more than it saves

_WORKER: dict[str, Any] = {}


def _start_worker(app_class: type[Application], env: dict[str, str]) -> None:
    app = app_class(env=env)
    _WORKER.update(app=app, checker=EventChecker(Decoder(app)))


def worker_env(app: Application) -> dict[str, str]:
    """The parent's environment for a worker's Application, which only reads: it never creates
    tables (on PostgreSQL, workers running `CREATE TABLE IF NOT EXISTS` at the same moment
    failed with "tuple concurrently updated", and the pool started the worker again)."""
    env = {name: value for name, value in app.env.items() if not name.endswith("CREATE_TABLE")}
    return {**env, "CREATE_TABLE": "n"}


def check_range(app: Application, checker: EventChecker, bounds: tuple[int, int]) -> Chunk:
    """The chunk of the events at positions (start, stop]."""
    check = checker.check
    return follow_chunk([check(row) for found in batches(app, bounds[0], stop=bounds[1])
                         for row in found])


def _check_range(bounds: tuple[int, int]) -> Chunk:
    return check_range(_WORKER["app"], _WORKER["checker"], bounds)


def ranges(head: int, chunk: int) -> Iterator[tuple[int, int]]:
    """Position bounds (start, stop] of `chunk` positions each, up to `head`."""
    for start in range(0, head, chunk):
        yield start, min(start + chunk, head)


def join(chunks: Iterator[Chunk], checkpoints: Sequence[Checkpoint],
         public_key: Ed25519PublicKey | None, progress: Progress | None = None) -> Report:
    """The report of a whole log given as chunks in log order."""
    joiner = ChunkJoiner(checkpoints, public_key)
    for chunk in chunks:
        joiner.add(chunk)
        if progress:
            progress(chunk.size)
    return joiner.finish()


@contextmanager
def _bare_main() -> Iterator[None]:
    """While workers start, the parent's main module is a bare one.

    A spawned child imports the parent's `__main__` (the `hub` script, a bench, a test runner)
    before anything else, to find functions defined there; the workers' functions all live in
    this module, so that import would only repeat the script's imports and top-level work."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def verify_parallel(app: Application, checkpoints: Sequence[Checkpoint],
                    public_key: Ed25519PublicKey | None, workers: int = 2,
                    progress: Progress | None = None, *, chunk: int = CHUNK,
                    min_events: int = MIN_PARALLEL) -> Report:
    """Like `verify_store`, with `workers` processes checking chunks of `chunk` positions."""
    head = log_size(app)
    if workers < 2 or head < min_events or isinstance(app.recorder, POPOApplicationRecorder):
        return verify_store(app, checkpoints, public_key, progress)
    context = multiprocessing.get_context("spawn")
    with _bare_main():
        pool = context.Pool(workers, _start_worker, (type(app), worker_env(app)))
    with pool:
        return join(pool.imap(_check_range, ranges(head, chunk)), checkpoints, public_key,
                    progress)
