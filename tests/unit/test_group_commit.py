"""Group commit: concurrent callers' events in one transaction, failures kept to their owner."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from domain.group_commit import GroupCommit


class Store:
    """A fake `Application.save`: the first transaction waits until `release` is set."""

    def __init__(self) -> None:
        self.transactions: list[tuple[Any, ...]] = []
        self.release = threading.Event()
        self.entered = threading.Event()

    def save(self, *events: Any) -> None:
        self.entered.set()
        if not self.transactions:
            assert self.release.wait(10)
        if "bad" in events:
            raise ValueError("bad event")
        self.transactions.append(events)


def in_threads(commit: GroupCommit, groups: list[list[str]]) -> list[BaseException | None]:
    """Each group saved by its own thread; the outcome of each."""
    outcomes: list[BaseException | None] = [None] * len(groups)

    def run(n: int) -> None:
        try:
            commit.save(groups[n])
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            outcomes[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(groups))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcomes


def with_first_writer_held(store: Store, commit: GroupCommit,
                           later: list[list[str]]) -> list[BaseException | None]:
    """Start a first writer and hold its transaction until every later caller is queued."""
    first = threading.Thread(target=commit.save, args=(["first"],))
    first.start()
    assert store.entered.wait(10)
    done: list[list[BaseException | None]] = []
    callers = threading.Thread(target=lambda: done.append(in_threads(commit, later)))
    callers.start()
    while len(commit._queue) < len(later):  # wait until every later caller is queued
        threading.Event().wait(0.001)
    store.release.set()
    first.join(10)
    callers.join(10)
    return done[0]


class TestGroupCommit:
    def test_callers_queued_during_a_commit_share_the_next_transaction(self) -> None:
        store = Store()
        commit = GroupCommit(store.save)
        outcomes = with_first_writer_held(store, commit, [["a1", "a2"], ["b"], ["c"]])
        assert outcomes == [None, None, None]
        assert store.transactions[0] == ("first",)
        assert len(store.transactions) == 2
        assert sorted(store.transactions[1]) == ["a1", "a2", "b", "c"]

    def test_a_failing_caller_fails_alone(self) -> None:
        store = Store()
        commit = GroupCommit(store.save)
        outcomes = with_first_writer_held(store, commit, [["a"], ["bad"], ["c1", "c2"]])
        assert outcomes[0] is None and outcomes[2] is None
        assert isinstance(outcomes[1], ValueError)
        saved = sorted(event for events in store.transactions for event in events)
        assert saved == ["a", "c1", "c2", "first"]
        assert ("c1", "c2") in store.transactions  # a caller's own events stay together

    def test_batches_are_bounded(self) -> None:
        store = Store()
        commit = GroupCommit(store.save, max_batch=2)
        outcomes = with_first_writer_held(store, commit, [["a"], ["b"], ["c"], ["d"], ["e"]])
        assert outcomes == [None] * 5
        assert all(len(events) <= 2 for events in store.transactions)
        assert sorted(e for events in store.transactions for e in events) == [
            "a", "b", "c", "d", "e", "first"]

    def test_a_lone_caller_gets_its_own_error(self) -> None:
        store = Store()
        store.release.set()
        with pytest.raises(ValueError, match="bad event"):
            GroupCommit(store.save).save(["bad"])
