"""One stored event checked on its own: decrypted, its content hash recomputed, its leaf hashed.

The fast path never builds a domain object or a `datetime`: it decrypts with AESGCM, parses
with orjson and writes the hashed content's canonical bytes from the plain dict. Wherever it
cannot show that its bytes are the definition's (`domain.chain.hashed_content` and
`canonical_json`: see `projections.audit.canonical`), or the event is unusual in any way (a
field missing or of another type, bytes that do not decrypt or parse, a compressor), it hands
the event to `Decoder.link` and `content_problem` — the definition itself, with its messages.
tests/unit/test_fast_verification.py checks both give the same result on generated events.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag

from domain.verification import NOT_DATA, content_problem, where
from projections.audit.canonical import float_free, plain_canonical, utc_text
from projections.audit.log import (
    Decoder,
    Row,
    Unreadable,
    chained_class,
    leaf_entry,
    leaf_of,
    plain_leaf_entry,
    plain_text,
)

# (position, stream id, version, prev_hash, hash, problem, leaf); prev_hash None: unreadable.
Checked = tuple[int, str, int, "str | None", str, "str | None", bytes]
UNREADABLE_LEAF = b"\xff" * 32  # no true leaf: every later root will differ
MAX_PLAIN_IDS = 100_000
_sha256 = hashlib.sha256


class EventChecker:
    """Checks stored events with one application's cipher."""

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        aesgcm = None if decoder.compressor else decoder.aesgcm
        self.decrypt = None if aesgcm is None else aesgcm.decrypt
        self.kinds: dict[str, Kind | None] = {}  # topic → what hashing needs of its class
        self.plain_ids: set[str] = set()  # stream ids seen to be `plain_text`

    def check(self, row: Row) -> Checked:
        """The event's chain fields, what is wrong with its content (or None), its leaf."""
        return self._fast(row) or self._definition(row)

    def _fast(self, row: Row) -> Checked | None:
        found = self.content(row)
        if found is None:
            return None
        position, stream_id, version = row[0], row[1], row[2]
        body, prev_hash, hash = found
        plain_id = stream_id in self.plain_ids or self._plain_id(stream_id)
        return checked(position, stream_id, version, body, prev_hash, hash, plain_id)

    def _plain_id(self, stream_id: str) -> bool:
        """Whether a stream id is `plain_text`, remembered when it is (streams recur)."""
        if not plain_text(stream_id):
            return False
        if len(self.plain_ids) > MAX_PLAIN_IDS:
            self.plain_ids.clear()
        self.plain_ids.add(stream_id)
        return True

    def content(self, row: Row) -> tuple[bytes, str, str] | None:
        """(canonical content bytes, prev_hash, hash) by the fast path, or None."""
        topic, stored = row[3], row[4]
        kind = self.kinds[topic] if topic in self.kinds else self._kind(topic)
        if kind is None or self.decrypt is None:
            return None
        try:
            state = _loads(self.decrypt(stored[:12], stored[28:] + stored[12:28], None))
        except (InvalidTag, ValueError):  # orjson.JSONDecodeError is a ValueError
            return None
        if type(state) is not dict:
            return None
        return _content(kind, row[1], row[2], state)

    def _kind(self, topic: str) -> Kind | None:
        """The hashed type and personal fields of a topic's event class (None: unreadable)."""
        try:
            event_class = chained_class(topic)
        except Unreadable:
            kind = None
        else:
            kind = (event_class.TYPE, tuple(event_class.PERSONAL))
        if len(self.kinds) < 4096:  # stored topics are few; a forged log may hold many
            self.kinds[topic] = kind
        return kind

    def _definition(self, row: Row) -> Checked:
        position, stream_id, version = row[0], row[1], row[2]
        try:
            link = self.decoder.link(row)
        except Unreadable as error:
            return position, stream_id, version, None, "", f"position {position}: {error}", \
                UNREADABLE_LEAF
        return (position, stream_id, version, link.prev_hash, link.hash, content_problem(link),
                leaf_of(link))


# An event class as hashing sees it: (its TYPE, its PERSONAL field names).
Kind = tuple[str, tuple[str, ...]]
_loads = orjson.loads
_OTHER_ENVELOPE = tuple(NOT_DATA - {"actor", "pd_salt", "timestamp", "prev_hash", "hash"})


def checked(position: int, stream_id: str, version: int, body: bytes, prev_hash: str,
            hash: str, plain_id: bool | None = None) -> Checked:
    """The check of an event whose content (for this stream and version) is `body`
    (`plain_id`: whether the stream id is known to be `plain_text`; None: find out)."""
    digest = _sha256(prev_hash.encode("ascii", "replace") + body).hexdigest()
    if digest == hash and type(version) is int and (
            plain_text(stream_id) if plain_id is None else plain_id):
        # a true hash is plain hex: the leaf entry needs no escaping (see `leaf_entry`)
        return position, stream_id, version, prev_hash, hash, None, \
            _sha256(b"\x00" + plain_leaf_entry(stream_id, version, hash)).digest()
    problem = None
    if digest != hash:
        problem = where(position, stream_id, version, "hash does not match the event's content")
    leaf = _sha256(b"\x00" + leaf_entry(stream_id, version, hash)).digest()
    return position, stream_id, version, prev_hash, hash, problem, leaf


def _content(kind: Kind, stream_id: str, version: int,
             state: dict[str, Any]) -> tuple[bytes, str, str] | None:
    """(canonical bytes of `hashed_content`, prev_hash, hash), or None to use the definition.

    `state` is the event's own parsed copy: the envelope is popped off it, leaving its data."""
    pop = state.pop
    actor, salt, stamp = pop("actor", None), pop("pd_salt", None), pop("timestamp", None)
    prev_hash, hash = pop("prev_hash", None), pop("hash", None)
    for name in _OTHER_ENVELOPE:
        pop(name, None)
    occurred_at = utc_text(stamp)
    if (type(actor) is not dict or type(salt) is not str or occurred_at is None
            or type(prev_hash) is not str or type(hash) is not str
            or not float_free(actor) or not float_free(state)):
        return None
    if not _reduce_personal(kind[1], salt, state):
        return None
    body = plain_canonical({"type": kind[0], "stream_id": stream_id, "version": version,
                            "occurred_at": occurred_at, "actor": actor, "data": state})
    return None if body is None else (body, prev_hash, hash)


def _reduce_personal(personal: tuple[str, ...], salt: str, data: dict[str, Any]) -> bool:
    """Replace personal fields in clear by their salted digests (False: not writable here)."""
    for name in personal:
        value = data.get(name)
        if value is None or (type(value) is dict and len(value) == 1 and "$digest" in value):
            continue  # absent, or already reduced (`is_reduced`)
        written = plain_canonical(value)
        if written is None:
            return False
        data[name] = {"$digest": _sha256(salt.encode() + b"\x00" + written).hexdigest()}
    return True
