"""`hub verify` on several cores: workers decrypt, decode and hash ranges of the log; the
parent follows the chains and the Merkle tree in log order (cheap: a dict and a few hashes).

Workers are spawned, not forked: a forked child would share the parent's database
connections. Each opens its own Application from the parent's environment.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import Application
from eventsourcing.popo import POPOApplicationRecorder

from projections.audit.check import Checked, EventChecker
from projections.audit.checkpoint import Checkpoint
from projections.audit.log import Decoder, batches, log_size
from projections.audit.verify import LogVerifier, Progress, Report, verify_store

CHUNK = 50_000  # positions per task
MIN_PARALLEL = 200_000  # below this, starting processes costs more than it saves

_WORKER: dict[str, Any] = {}


def _start_worker(app_class: type[Application], env: dict[str, str]) -> None:
    app = app_class(env=env)
    _WORKER.update(app=app, checker=EventChecker(Decoder(app)))


def _check_range(bounds: tuple[int, int]) -> list[Checked]:
    """The checked events of positions (start, stop]."""
    app, check = _WORKER["app"], _WORKER["checker"].check
    return [check(row) for found in batches(app, bounds[0], stop=bounds[1]) for row in found]


def _ranges(head: int, chunk: int) -> Iterator[tuple[int, int]]:
    for start in range(0, head, chunk):
        yield start, min(start + chunk, head)


def verify_parallel(app: Application, checkpoints: Sequence[Checkpoint],
                    public_key: Ed25519PublicKey | None, workers: int = 2,
                    progress: Progress | None = None, *, chunk: int = CHUNK,
                    min_events: int = MIN_PARALLEL) -> Report:
    """Like `verify_store`, with `workers` processes doing the decryption and hashing."""
    head = log_size(app)
    if workers < 2 or head < min_events or isinstance(app.recorder, POPOApplicationRecorder):
        return verify_store(app, checkpoints, public_key, progress)
    verifier = LogVerifier(checkpoints, public_key)
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, _start_worker, (type(app), dict(app.env))) as pool:
        for checked in pool.imap(_check_range, _ranges(head, chunk)):
            for event in checked:
                verifier.add_checked(event)
            if progress:
                progress(len(checked))
    return verifier.finish()
