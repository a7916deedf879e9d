"""The audit service: verification, signed checkpoints (on demand and periodic) and proofs."""

from __future__ import annotations

import bisect
import logging
import os
import threading
import weakref
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application

from adapters.audit_keys import audit_key, sign_checkpoint
from adapters.checkpoints import CheckpointStore, checkpoint_store
from adapters.settings import Settings, SettingsError
from projections.audit.checkpoint import Checkpoint, key_id, public_pem
from projections.audit.merkle import MerkleTree
from projections.audit.parallel import verify_parallel
from projections.audit.verify import LogVerifier, Progress, Report, catch_up

log = logging.getLogger("hub.audit")


class AuditBreak(RuntimeError):
    """The log does not verify, so no checkpoint is signed over it."""


class Auditor:
    """Follows the log incrementally (chains + full Merkle tree) to sign and prove."""

    def __init__(self, app: Application, store: CheckpointStore, key: Ed25519PrivateKey) -> None:
        self.app, self.store, self.key = app, store, key
        self.public_key = key.public_key()
        self.lock = threading.Lock()
        self.tree, self.positions = MerkleTree(), list[int]()
        self.follower = LogVerifier(store.all(), self.public_key, self.tree, self.positions)
        self.position = 0

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def public_key_pem(self) -> str:
        return public_pem(self.public_key)

    def refresh(self) -> Report:
        """Read the events stored since the last refresh; the report of everything read."""
        with self.lock:
            self.position = catch_up(self.app, self.follower, self.position)
            return self.follower.finish()

    def verify(self, progress: Progress | None = None, workers: int = 1) -> Report:
        """A full verification from the first stored event, against every checkpoint
        (with `workers` > 1, large logs are decrypted and hashed in that many processes)."""
        return verify_parallel(self.app, self.store.all(), self.public_key, workers, progress)

    def checkpoint(self, *, force: bool = True) -> Checkpoint:
        """Sign the log as it stands (unless unchanged and not forced); AuditBreak if broken."""
        report = self.refresh()
        if not report.ok:
            raise AuditBreak(report.first_break)
        existing = self.store.all()
        if existing and existing[-1].tree_size == report.tree_size and not force:
            return existing[-1]
        signed = sign_checkpoint(self.key, report.tree_size, report.root)
        self.store.add(signed)
        return signed

    def inclusion(self, position: int, tree_size: int) -> dict[str, Any]:
        """The inclusion proof of the event at `position` in the tree of `tree_size` events."""
        self.refresh()
        index = bisect.bisect_left(self.positions, position)
        if index >= len(self.positions) or self.positions[index] != position:
            raise LookupError(f"No event at position {position}.")
        if not index < tree_size <= self.tree.size:
            raise LookupError(f"Position {position} is not within a tree of {tree_size}.")
        return {"position": position, "leaf_index": index, "tree_size": tree_size,
                "leaf_hash": self.tree.node(0, index).hex(), "root": self.tree.root(tree_size).hex(),
                "proof": [p.hex() for p in self.tree.inclusion_proof(index, tree_size)]}

    def consistency(self, old: int, new: int) -> dict[str, Any]:
        """The proof that the tree of `old` events is a prefix of the tree of `new`."""
        self.refresh()
        if not 0 <= old <= new <= self.tree.size:
            raise LookupError(f"No trees of {old} and {new} events in a log of {self.tree.size}.")
        return {"old_size": old, "new_size": new, "old_root": self.tree.root(old).hex(),
                "new_root": self.tree.root(new).hex(),
                "proof": [p.hex() for p in self.tree.consistency_proof(old, new)]}


class CheckpointJob:
    """A background job (`hub jobs`): sign a checkpoint every so often while the log grows."""

    def __init__(self, auditor: Auditor, seconds: float) -> None:
        self.auditor, self.seconds = auditor, seconds

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.seconds):
            signed = self.auditor.checkpoint(force=False)
            log.info("audit checkpoint", extra={"tree_size": signed.tree_size})


class Disabled:
    """No audit key is configured (PostgreSQL without HUB_AUDIT_KEY): nothing to run."""

    def run(self, stop: threading.Event) -> None:
        stop.wait()


def checkpoint_job(settings: Settings, application: Application) -> CheckpointJob | Disabled:
    """The job factory `hub jobs` runs; HUB_AUDIT_CHECKPOINT_SECONDS (default 300) apart."""
    seconds = float(os.environ.get("HUB_AUDIT_CHECKPOINT_SECONDS") or 300)
    try:
        return CheckpointJob(auditor_for(application, settings), seconds)
    except SettingsError as error:
        log.warning("periodic audit checkpoints are off: %s", error)
        return Disabled()


_AUDITORS: weakref.WeakKeyDictionary[Application, Auditor] = weakref.WeakKeyDictionary()


def auditor_for(app: Application, settings: Settings,
                key: Ed25519PrivateKey | None = None) -> Auditor:
    """The one Auditor of an application in this process."""
    found = _AUDITORS.get(app)
    if found is None:
        found = Auditor(app, checkpoint_store(app), key or audit_key(settings))
        _AUDITORS[app] = found
    return found
