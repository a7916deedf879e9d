"""Verification by chunks gives the report `verify_store` gives, on generated logs.

The reference is `LogVerifier` fed in batches, as `verify_store` feeds it; the chunked path
splits the same checked events by position ranges (with gaps in positions, chunk sizes that
are and are not powers of two) and joins them with `ChunkJoiner`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.chain import GENESIS
from projections.audit.check import UNREADABLE_LEAF, Checked, EventChecker
from projections.audit.checkpoint import Checkpoint
from projections.audit.chunks import ChunkJoiner, follow_chunk
from projections.audit.log import Decoder
from projections.audit.merkle import Frontier, MerkleTree
from projections.audit.parallel import check_range, join, ranges
from projections.audit.verify import LogVerifier, Report, verify_store
from tests.conftest import memory_application
from tests.referral_world import caller, payload, register_world, submission

KINDS = ["sound"] * 6 + ["skipped", "moved back", "wrong prev", "bad content", "unreadable"]


def _event(i: int, position: int, stream: str, kind: str, heads: dict[str, Any]) -> Checked:
    """The i-th checked event of a generated log, broken as `kind` says."""
    version, prev = heads.get(stream, (0, GENESIS))
    version += {"skipped": 2, "moved back": -1}.get(kind, 1)
    prev = "forged" if kind == "wrong prev" else prev
    hash = f"h{i}"
    leaf = hashlib.sha256(hash.encode()).digest()
    if kind == "unreadable":
        return position, stream, version, None, "", f"position {position}: unreadable", \
            UNREADABLE_LEAF
    heads[stream] = (version, hash)
    problem = f"position {position}: bad content" if kind == "bad content" else None
    return position, stream, version, prev, hash, problem, leaf


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[Checked], list[Checkpoint]]:
    """Checked events of a few streams (some broken) and checkpoints (some wrong)."""
    steps = draw(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from(KINDS),
                                    st.integers(1, 3) | st.just(1)), max_size=60))
    heads: dict[str, Any] = {}
    events, position = [], 0
    for i, (stream, kind, gap) in enumerate(steps):
        position += gap
        events.append(_event(i, position, stream, kind, heads))
    tree = MerkleTree(event[6] for event in events)
    sizes = sorted(draw(st.lists(st.integers(0, len(events) + 2), max_size=4)))
    checkpoints = [Checkpoint(size, tree.root(size).hex() if size <= tree.size and
                              draw(st.booleans()) else "00" * 32, "t", "k", "")
                   for size in sizes]
    return events, checkpoints


def _sequential(events: list[Checked], checkpoints: list[Checkpoint], batch: int) -> Report:
    verifier = LogVerifier(checkpoints, None)
    for start in range(0, len(events), batch):
        verifier.add_batch(events[start:start + batch])
    return verifier.finish()


def _chunked(events: list[Checked], checkpoints: list[Checkpoint], batch: int,
             chunk: int) -> Report:
    joiner = ChunkJoiner(checkpoints, None, batch)
    head = events[-1][0] if events else 0
    for start, stop in ranges(head, chunk):
        joiner.add(follow_chunk([e for e in events if start < e[0] <= stop]))
    return joiner.finish()


@settings(max_examples=400, deadline=None)
@given(logs(), st.integers(1, 7), st.sampled_from([1, 2, 3, 4, 5, 8, 16, 64]))
def test_chunks_give_the_report_of_one_pass(log: Any, batch: int, chunk: int) -> None:
    events, checkpoints = log
    one_pass = _sequential(events, checkpoints, batch)
    chunked = _chunked(events, checkpoints, batch, chunk)
    assert chunked == one_pass
    assert chunked.to_dict() == one_pass.to_dict()


def test_a_break_at_a_chunk_border_is_named_as_in_one_pass() -> None:
    heads: dict[str, Any] = {}
    kinds = ["sound", "sound", "sound", "skipped", "sound", "wrong prev", "sound", "sound"]
    events = [_event(i, i + 1, "a", kind, heads) for i, kind in enumerate(kinds)]
    chunked = _chunked(events, [], 2000, 3)
    assert chunked == _sequential(events, [], 2000)
    assert chunked.first_break == "position 4: stream a v5: expected version 4 (an event is " \
                                  "missing or moved)"
    assert len(chunked.breaks) == 2


@pytest.mark.parametrize("size", [0, 1, 5, 8, 13, 64, 100])
@pytest.mark.parametrize("height", [0, 1, 2, 3])
def test_an_aligned_subtree_root_grows_the_frontier_as_its_leaves_do(size: int,
                                                                     height: int) -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(size + (1 << height))]
    by_leaves, by_root = Frontier(), Frontier()
    by_leaves.extend(leaves)
    by_root.extend(leaves[:size])
    if size % (1 << height):
        with pytest.raises(ValueError):
            by_root.absorb(MerkleTree(leaves[size:]).root(), height)
        return
    by_root.absorb(MerkleTree(leaves[size:]).root(), height)
    assert (by_root.size, by_root.root(), by_root.peaks) == \
        (by_leaves.size, by_leaves.root(), by_leaves.peaks)


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 7, 16])
def test_chunks_of_a_stored_log_give_the_report_of_verify_store(chunk: int) -> None:
    app = memory_application()
    register_world(app, ["ref", "rec"])
    for _ in range(3):
        referral, _ = app.submit_referral(caller("ref"), submission())
        for action in ("accept", "notes", "notes"):
            app.act_on_referral(caller("rec"), referral.id, action, payload(action))
    checker = EventChecker(Decoder(app))
    head = app.recorder.max_notification_id() or 0
    one_pass = verify_store(app, [], None)
    checkpoints = [Checkpoint(size, one_pass.root if size == one_pass.tree_size else "00" * 32,
                              "t", "k", "") for size in (5, one_pass.tree_size)]
    chunks = (check_range(app, checker, bounds) for bounds in ranges(head, chunk))
    assert join(chunks, checkpoints, None) == verify_store(app, checkpoints, None)
    assert one_pass.ok and one_pass.events_checked == head > 12
