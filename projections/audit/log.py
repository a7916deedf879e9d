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
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.application import Application
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import TopicError, resolve_topic

from domain.base import HubAggregate
from domain.chain import canonical_json
from domain.verification import Link, link_of
from projections.audit.merkle import leaf_hash

BATCH = 2000
# One stored event as read: (position, stream id, version, topic, stored state).
Row = tuple[int, str, int, str, bytes]


class Unreadable(ValueError):
    """A stored event that cannot be decrypted, decoded or placed in a chain."""


def leaf_entry(stream_id: str, version: int, hash: str) -> bytes:
    """The Merkle leaf entry of one event: canonical JSON {"hash", "stream_id", "version"}."""
    if plain_text(hash) and plain_text(stream_id) and type(version) is int:
        return plain_leaf_entry(stream_id, version, hash)
    return canonical_json({"hash": hash, "stream_id": stream_id, "version": version})


def plain_leaf_entry(stream_id: str, version: int, hash: str) -> bytes:
    """`leaf_entry` for strings that need no escaping (`plain_text`) and an int version: the
    same bytes `canonical_json` gives, but faster."""
    return f'{{"hash":"{hash}","stream_id":"{stream_id}","version":{version}}}'.encode()


def plain_text(text: str) -> bool:
    """Only ASCII letters, digits and '-': nothing JSON escapes."""
    return type(text) is str and text.isascii() and (text.replace("-", "").isalnum()
                                                     or not text.replace("-", ""))


def leaf_of(link: Link) -> bytes:
    """The Merkle leaf hash of one event."""
    return leaf_hash(leaf_entry(link.stream_id, link.version, link.hash))


@lru_cache(maxsize=512)
def chained_class(topic: str) -> type[HubAggregate.Event]:
    """The event class a stored topic names; Unreadable unless it is a chained hub event."""
    try:
        cls = resolve_topic(topic)
    except (TopicError, ImportError, AttributeError, ValueError) as error:
        raise Unreadable(f"unknown event topic {topic!r}: {error}") from None
    if not (isinstance(cls, type) and issubclass(cls, HubAggregate.Event)):
        raise Unreadable(f"topic {topic!r} is not a hash-chained event")
    return cls


class Decoder:
    """Decrypts and decodes stored events with the application's cipher (and compressor)."""

    def __init__(self, app: Application) -> None:
        self.cipher = app.mapper.cipher
        self.compressor = app.mapper.compressor
        # eventsourcing's AESCipher builds an AESGCM (a key schedule) per call; build one here.
        self.aesgcm = AESGCM(self.cipher.key) if isinstance(self.cipher, AESCipher) else None

    def decrypt(self, stored: bytes) -> bytes:
        """The plaintext of stored state (AESCipher's layout: nonce ‖ tag ‖ ciphertext)."""
        if self.aesgcm is not None:
            return self.aesgcm.decrypt(stored[:12], stored[28:] + stored[12:28], None)
        return self.cipher.decrypt(stored) if self.cipher else stored

    def state(self, stored: bytes) -> dict[str, Any]:
        """The stored state as the transcoder wrote it (plain JSON values)."""
        try:
            plain = self.decrypt(stored)
            if self.compressor:
                plain = self.compressor.decompress(plain)
            state = json.loads(plain.decode("utf-8"))
        except (InvalidTag, ValueError, TypeError):  # the stored bytes were altered
            raise Unreadable("stored state does not decrypt or decode (altered bytes?)") from None
        if not isinstance(state, dict):
            raise Unreadable("stored state is not an object")
        return state

    def link(self, row: Row) -> Link:
        """The chain link of one stored event."""
        position, stream_id, version, topic, stored = row
        state = self.state(stored)
        try:
            return link_of(position, stream_id, version, chained_class(topic), state)
        except (KeyError, TypeError, ValueError) as error:
            raise Unreadable(f"stored state lacks chain fields: {error}") from None


def batches(app: Application, after: int = 0, batch: int = BATCH,
            stop: int | None = None) -> Iterator[Sequence[Row]]:
    """Stored events after position `after` (up to `stop`), in batches, in log order."""
    select = _raw_select(app) or _recorder_select(app)
    while True:
        found = select(after, batch, stop)
        if not found:
            return
        yield found
        after = found[-1][0]


Select = Callable[[int, int, "int | None"], Sequence["Row"]]


def _recorder_select(app: Application) -> Select:
    def select(after: int, limit: int, stop: int | None) -> Sequence[Row]:
        found = app.recorder.select_notifications(after, limit, stop=stop,
                                                  inclusive_of_start=False)
        return [(n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
                for n in found]
    return select


def library_store(recorder: object) -> str | None:
    """"sqlite" or "postgres" for a recorder of the library's SQL modules or a subclass of one
    (the hub's SQLite recorder is one: adapters/sqlite_store.py), whose table layout is the
    library's; None for any other. Found by module name so that psycopg is imported only for
    PostgreSQL stores."""
    for cls in type(recorder).__mro__:
        if cls.__module__ in ("eventsourcing.sqlite", "eventsourcing.postgres"):
            return cls.__module__.removeprefix("eventsourcing.")
    return None


def _raw_select(app: Application) -> Select | None:
    """A plain SQL read of the events table: the recorder's read builds a UUID per row,
    which costs more than decrypting it; ids stay strings here (canonical UUID text)."""
    recorder = app.recorder
    table = getattr(recorder, "events_table_name", None)
    datastore = getattr(recorder, "datastore", None)
    store = library_store(recorder)
    if table is None or store is None:
        return None
    sqlite = store == "sqlite"
    sql = (f"SELECT rowid, originator_id, originator_version, topic, state FROM {table} "
           "WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
           ) if sqlite else (
           f"SELECT notification_id, originator_id::text, originator_version, topic, state "
           f"FROM {table} WHERE notification_id > %s AND notification_id <= %s "
           "ORDER BY notification_id LIMIT %s")

    row_factory = None if sqlite else _tuple_rows()
    dashed: dict[str, str] = {}  # a stream's events come back many times: its id written once

    def select(after: int, limit: int, stop: int | None) -> Sequence[Row]:
        with datastore.transaction(commit=False) as cursor:
            cursor.row_factory = row_factory  # plain tuples: no names to look up
            cursor.execute(sql, (after, stop if stop is not None else 2**62, limit))
            rows = cursor.fetchall()
        if sqlite:  # SQLite keeps the stream id's hex form, and returns the state as bytes
            if len(dashed) > MAX_REMEMBERED_IDS:
                dashed.clear()
            return [(p, dashed.get(s) or dashed.setdefault(s, _dashed(s)), v, t, b)
                    for p, s, v, t, b in rows]
        return [(p, s, v, t, bytes(b)) for p, s, v, t, b in rows]
    return select


MAX_REMEMBERED_IDS = 100_000


def _dashed(hex_id: str) -> str:
    """A UUID's canonical text from the 32 hex digits SQLite keeps (other text as it is)."""
    s = hex_id
    return f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}" if len(s) == 32 else s


def _tuple_rows() -> Any:
    """psycopg's plain-tuple row factory, imported only for PostgreSQL stores: importing
    psycopg costs ~0.1 s of CPU, paid again by each worker process of `hub verify`."""
    from psycopg.rows import tuple_row

    return tuple_row


def log_size(app: Application) -> int:
    """The highest position in the log (0 when empty) — an upper bound on the event count."""
    return int(app.recorder.max_notification_id() or 0)
