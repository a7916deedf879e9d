"""`hub verify`: every stream's chain, the Merkle root against each signed checkpoint."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import Application

from domain.chain import GENESIS
from domain.verification import ChainVerifier
from projections.audit.check import Checked, EventChecker
from projections.audit.checkpoint import Checkpoint, sequence_problem, signature_problem
from projections.audit.log import Decoder, batches
from projections.audit.merkle import Frontier, MerkleTree

Progress = Callable[[int], None]
NEW_STREAM = (0, GENESIS)  # the head a stream has before its first event


@dataclass
class Report:
    """What a verification looked at and the first thing it found wrong."""

    streams_checked: int = 0
    events_checked: int = 0
    tree_size: int = 0
    root: str = ""
    checkpoints_checked: int = 0
    latest_checkpoint: dict[str, Any] | None = None
    breaks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> str | None:
        return self.breaks[0] if self.breaks else None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "streams_checked": self.streams_checked,
                "events_checked": self.events_checked, "first_break": self.first_break,
                "breaks": len(self.breaks), "tree_size": self.tree_size, "root": self.root,
                "checkpoints_checked": self.checkpoints_checked,
                "latest_checkpoint": self.latest_checkpoint}


class LogVerifier:
    """Consumes checked events in log order: chains, leaves, roots at each checkpoint's size."""

    def __init__(self, checkpoints: Sequence[Checkpoint], public_key: Ed25519PublicKey | None,
                 tree: Frontier | MerkleTree | None = None,
                 positions: list[int] | None = None) -> None:
        self.report = Report(checkpoints_checked=len(checkpoints),
                             latest_checkpoint=checkpoints[-1].to_dict() if checkpoints else None)
        self.chains, self.frontier = ChainVerifier(), tree or Frontier()
        self.positions = positions  # kept when proofs must find a position's leaf
        self.pending = sorted(checkpoints, key=lambda c: c.tree_size, reverse=True)
        self.report.breaks.extend(checkpoint_problems(checkpoints, public_key))
        self._due_at_empty()

    def _due_at_empty(self) -> None:
        while self.pending and self.pending[-1].tree_size == 0:
            self._compare(self.pending.pop())

    def add_batch(self, batch: Sequence[Checked]) -> None:
        """Checked events in log order: each stream's chain, then the tree grows by their leaves.

        The common case (the next version, the expected prev_hash, a sound content) is tested
        inline; anything else goes through `ChainVerifier.follow` for its message."""
        chains, breaks = self.chains, self.report.breaks
        heads, sound = chains.heads, 0
        for position, stream_id, version, prev_hash, hash, problem, _leaf in batch:
            if prev_hash is None:  # unreadable: no place in any chain
                breaks.append(str(problem))
                chains.events_checked += 1
                continue
            last, prev = heads.get(stream_id, NEW_STREAM)
            if problem is None and version == last + 1 and prev_hash == prev:
                heads[stream_id] = (version, hash)
                sound += 1
            else:
                breaks.append(str(chains.follow(position, stream_id, version, prev_hash, hash)
                                  or problem))
        chains.events_checked += sound
        if self.positions is not None:
            self.positions.extend(checked[0] for checked in batch)
        self._grow([checked[6] for checked in batch])

    def _grow(self, leaves: list[bytes]) -> None:
        """Add leaves, comparing the root with each checkpoint whose size is reached."""
        start, tree = 0, self.frontier
        while self.pending and self.pending[-1].tree_size - tree.size <= len(leaves) - start:
            due = self.pending[-1].tree_size - tree.size
            tree.extend(leaves[start:start + due])
            start += due
            self._compare(self.pending.pop())
        tree.extend(leaves[start:] if start else leaves)

    def _compare(self, checkpoint: Checkpoint) -> None:
        problem = root_problem(self.frontier, checkpoint)
        if problem:
            self.report.breaks.append(problem)

    def finish(self) -> Report:
        """The report so far (the verifier may go on consuming later events)."""
        truncated = [f"the log has {self.frontier.size} events but a checkpoint signed "
                     f"{c.tree_size}: events were removed (truncation)"
                     for c in reversed(self.pending)]
        return replace(self.report, breaks=self.report.breaks + truncated,
                       streams_checked=self.chains.streams_checked,
                       events_checked=self.chains.events_checked,
                       tree_size=self.frontier.size, root=self.frontier.root().hex())


def root_problem(tree: Frontier | MerkleTree, checkpoint: Checkpoint) -> str | None:
    """Why the tree's root (at the checkpoint's size) is not the signed one, or None."""
    if tree.root().hex() == checkpoint.root:
        return None
    return (f"Merkle root of the first {checkpoint.tree_size} events differs from the "
            f"signed checkpoint (events altered, removed, inserted or reordered)")


def checkpoint_problems(checkpoints: Sequence[Checkpoint],
                        public_key: Ed25519PublicKey | None) -> Iterable[str]:
    """Signatures and the order of successive checkpoints."""
    for checkpoint in checkpoints:
        problem = signature_problem(checkpoint, public_key) if public_key else None
        if problem:
            yield problem
    for earlier, later in itertools.pairwise(checkpoints):
        problem = sequence_problem(earlier, later)
        if problem:
            yield problem


def catch_up(app: Application, verifier: LogVerifier, after: int = 0,
             progress: Progress | None = None) -> int:
    """Feed the stored events after position `after` to `verifier`; the last position read."""
    check = EventChecker(Decoder(app)).check
    for found in batches(app, after):
        verifier.add_batch([check(row) for row in found])
        if progress:
            progress(len(found))
        after = found[-1][0]
    return after


def verify_store(app: Application, checkpoints: Sequence[Checkpoint],
                 public_key: Ed25519PublicKey | None, progress: Progress | None = None) -> Report:
    """Verify every stored event of `app` against its chain and the checkpoints."""
    verifier = LogVerifier(checkpoints, public_key)
    catch_up(app, verifier, progress=progress)
    return verifier.finish()
