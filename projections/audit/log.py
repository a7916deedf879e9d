"""The global log: every stored event in notification order, decrypted and reduced to links.

The Merkle leaf of an event is `canonical JSON {"hash", "stream_id", "version"}`: the event's
chain hash already covers its type, time, actor and data (personal fields only as salted
digests), so a leaf stays verifiable after personal data is crypto-shredded, and an offline
verifier recomputes it without the cipher key. Positions are not in the leaf: the leaf's index
in the tree is its place in the log, and store positions may have gaps (PostgreSQL sequences)
or be renumbered (SQLite VACUUM) without any event changing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic

from domain.base import HubAggregate
from domain.chain import canonical_json
from domain.verification import Link, link_of
from projections.audit.merkle import leaf_hash

BATCH = 2000


class Unreadable(ValueError):
    """A stored event that cannot be decrypted, decoded or placed in a chain."""


def leaf_entry(stream_id: str, version: int, hash: str) -> bytes:
    """The Merkle leaf entry of one event."""
    return canonical_json({"hash": hash, "stream_id": stream_id, "version": version})


def leaf_of(link: Link) -> bytes:
    """The Merkle leaf hash of one event."""
    return leaf_hash(leaf_entry(link.stream_id, link.version, link.hash))


@lru_cache(maxsize=512)
def chained_class(topic: str) -> type[HubAggregate.Event]:
    """The event class a stored topic names; Unreadable unless it is a chained hub event."""
    try:
        cls = resolve_topic(topic)
    except Exception as error:  # any failure to import the topic means the same thing here
        raise Unreadable(f"unknown event topic {topic!r}: {error}") from None
    if not (isinstance(cls, type) and issubclass(cls, HubAggregate.Event)):
        raise Unreadable(f"topic {topic!r} is not a hash-chained event")
    return cls


class Decoder:
    """Decrypts and decodes stored events with the application's cipher (and compressor)."""

    def __init__(self, app: Application) -> None:
        self.cipher = app.mapper.cipher
        self.compressor = app.mapper.compressor

    def state(self, stored: bytes) -> dict[str, Any]:
        """The stored state as the transcoder wrote it (plain JSON values)."""
        try:
            plain = self.cipher.decrypt(stored) if self.cipher else stored
            if self.compressor:
                plain = self.compressor.decompress(plain)
            state = json.loads(plain)
        except Exception:  # a cipher or JSON failure: the stored bytes were altered
            raise Unreadable("stored state does not decrypt or decode (altered bytes?)") from None
        if not isinstance(state, dict):
            raise Unreadable("stored state is not an object")
        return state

    def link(self, notification: Notification) -> Link:
        """The chain link of one stored event."""
        cls = chained_class(notification.topic)
        state = self.state(notification.state)
        try:
            return link_of(notification.id, str(notification.originator_id),
                           notification.originator_version, cls, state)
        except (KeyError, TypeError, ValueError) as error:
            raise Unreadable(f"stored state lacks chain fields: {error}") from None


def batches(app: Application, after: int = 0, batch: int = BATCH,
            stop: int | None = None) -> Iterator[Sequence[Notification]]:
    """Stored events after position `after` (up to `stop`), in batches, in log order."""
    while True:
        found = app.recorder.select_notifications(after, batch, stop=stop,
                                                  inclusive_of_start=False)
        if not found:
            return
        yield found
        after = found[-1].id


def log_size(app: Application) -> int:
    """The highest position in the log (0 when empty) — an upper bound on the event count."""
    return int(app.recorder.max_notification_id() or 0)
