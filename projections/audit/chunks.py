"""Verification by chunks: a run of the log is checked and its chains followed on its own
(in a worker process), then the runs are joined in log order with O(streams) work each.

A chunk tells the parent only what crosses its borders: each stream's first readable event
(judged by the parent against the head the earlier chunks left), each stream's last version
and hash, the breaks found inside, and its Merkle leaves. The parent adds a chunk to the tree
as a few perfect subtree roots when the chunk lands aligned (chunks of a power-of-two number
of events with no gaps in positions), and leaf by leaf otherwise or where a signed checkpoint
falls inside it. The report is the one `verify_store` gives, breaks in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.verification import ChainVerifier
from projections.audit.check import Checked
from projections.audit.checkpoint import Checkpoint
from projections.audit.log import BATCH
from projections.audit.merkle import Frontier
from projections.audit.verify import NEW_STREAM, LogVerifier, Report, root_problem

# A stream's first readable event in a chunk: (index in the chunk, position, stream id,
# version, prev_hash, hash, problem).
Entry = tuple[int, int, str, int, str, str, "str | None"]
_LEAF = 32


@dataclass(frozen=True)
class Chunk:
    """What a worker tells the parent about a run of consecutive events of the log."""

    size: int
    entries: list[Entry]  # each stream's first readable event, in log order
    heads: dict[str, tuple[int, str]]  # each stream's last version and hash in the chunk
    breaks: list[tuple[int, str]]  # (index in the chunk, message), in log order
    leaves: bytes  # the events' Merkle leaf hashes, 32 bytes each
    peaks: list[bytes]  # the chunk's own perfect subtree roots, largest first


def follow_chunk(events: Sequence[Checked]) -> Chunk:
    """Follow each stream's chain inside a run of checked events, as `LogVerifier` would."""
    chains, entries, breaks = ChainVerifier(), list[Entry](), list[tuple[int, str]]()
    heads = chains.heads
    for index, (position, stream_id, version, prev_hash, hash, problem, _) in enumerate(events):
        if prev_hash is None:  # unreadable: no place in any chain
            breaks.append((index, str(problem)))
            continue
        head = heads.get(stream_id)
        if head is None:
            entries.append((index, position, stream_id, version, prev_hash, hash, problem))
        elif problem is not None or version != head[0] + 1 or prev_hash != head[1]:
            breaks.append((index, str(chains.follow(position, stream_id, version, prev_hash,
                                                    hash) or problem)))
        heads[stream_id] = (version, hash)
    leaves = [event[6] for event in events]
    frontier = Frontier()
    frontier.extend(leaves)
    return Chunk(len(events), entries, heads, breaks, b"".join(leaves), frontier.peaks)


class ChunkJoiner:
    """Joins chunks in log order into one report; `batch` is the batch size of `verify_store`,
    which decides where a checkpoint's message falls among the events' breaks."""

    def __init__(self, checkpoints: Sequence[Checkpoint], public_key: Ed25519PublicKey | None,
                 batch: int = BATCH) -> None:
        self.verifier = LogVerifier(checkpoints, public_key)
        self.batch = batch
        self.keyed: list[tuple[int, int, int, str]] = []  # (leaf index, 0 | 1, size, message)

    def add(self, chunk: Chunk) -> None:
        """The next chunk of the log."""
        offset = self.verifier.frontier.size
        self._join_chains(chunk, offset)
        self._grow(chunk, offset)

    def _join_chains(self, chunk: Chunk, offset: int) -> None:
        chains = self.verifier.chains
        counted, heads, keyed = chains.events_checked, chains.heads, self.keyed
        for index, position, stream_id, version, prev_hash, hash, problem in chunk.entries:
            last, prev = heads.get(stream_id, NEW_STREAM)
            if problem is not None or version != last + 1 or prev_hash != prev:
                message = chains.follow(position, stream_id, version, prev_hash, hash) or problem
                keyed.append((offset + index, 0, 0, str(message)))
        heads.update(chunk.heads)
        keyed.extend((offset + index, 0, 0, message) for index, message in chunk.breaks)
        chains.events_checked = counted + chunk.size  # each event once, however it was judged

    def _grow(self, chunk: Chunk, offset: int) -> None:
        frontier, pending = self.verifier.frontier, self.verifier.pending
        end = offset + chunk.size
        if (pending and pending[-1].tree_size < end) or not _aligned(offset, chunk.size):
            self._grow_by_leaves(chunk.leaves, end)
        else:
            for peak, bit in zip(chunk.peaks, _bits_down(chunk.size), strict=True):
                frontier.absorb(peak, bit)
        while pending and pending[-1].tree_size <= end:
            self._compare(pending.pop())

    def _grow_by_leaves(self, blob: bytes, end: int) -> None:
        """Leaf by leaf, comparing the root with each checkpoint signed inside the chunk."""
        frontier, pending = self.verifier.frontier, self.verifier.pending
        leaves = [blob[i:i + _LEAF] for i in range(0, len(blob), _LEAF)]
        start = frontier.size
        while pending and pending[-1].tree_size < end:
            due = pending[-1].tree_size
            frontier.extend(leaves[frontier.size - start:due - start])
            self._compare(pending.pop())
        frontier.extend(leaves[frontier.size - start:])

    def _compare(self, checkpoint: Checkpoint) -> None:
        """Keyed where `verify_store` finds it: after the breaks of the batch reaching it."""
        problem = root_problem(self.verifier.frontier, checkpoint)
        if problem:
            size = checkpoint.tree_size
            last = ((size - 1) // self.batch + 1) * self.batch - 1
            self.keyed.append((last, 1, size, problem))

    def finish(self) -> Report:
        """The report of every chunk added."""
        self.verifier.report.breaks.extend(message for *_, message in sorted(self.keyed))
        self.keyed.clear()
        return self.verifier.finish()


def _aligned(offset: int, size: int) -> bool:
    """Whether a chunk's perfect subtrees land aligned when it starts at leaf `offset`."""
    return size == 0 or offset % (1 << (size.bit_length() - 1)) == 0


def _bits_down(size: int) -> list[int]:
    """The heights of a tree of `size` leaves' perfect subtrees, largest first."""
    return [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]
