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

from domain.chain import is_reduced
from domain.verification import NOT_DATA, content_problem, where
from projections.audit.canonical import float_free, plain_canonical, utc_text
from projections.audit.log import Decoder, Row, Unreadable, chained_class, leaf_entry, leaf_of

# (position, stream id, version, prev_hash, hash, problem, leaf); prev_hash None: unreadable.
Checked = tuple[int, str, int, "str | None", str, "str | None", bytes]
UNREADABLE_LEAF = b"\xff" * 32  # no true leaf: every later root will differ
_sha256 = hashlib.sha256


class EventChecker:
    """Checks stored events with one application's cipher."""

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.aesgcm = None if decoder.compressor else decoder.aesgcm

    def check(self, row: Row) -> Checked:
        """The event's chain fields, what is wrong with its content (or None), its leaf."""
        return self._fast(row) or self._definition(row)

    def _fast(self, row: Row) -> Checked | None:
        found = self.content(row)
        if found is None:
            return None
        position, stream_id, version = row[0], row[1], row[2]
        body, prev_hash, hash = found
        return checked(position, stream_id, version, body, prev_hash, hash)

    def content(self, row: Row) -> tuple[bytes, str, str] | None:
        """(canonical content bytes, prev_hash, hash) by the fast path, or None."""
        if self.aesgcm is None:
            return None
        stored = row[4]
        try:
            plain = self.aesgcm.decrypt(stored[:12], stored[28:] + stored[12:28], None)
            state = orjson.loads(plain)
            event_class = chained_class(row[3])
        except (InvalidTag, ValueError, Unreadable):  # orjson.JSONDecodeError is a ValueError
            return None
        if type(state) is not dict:
            return None
        body = _content_bytes(event_class, row[1], row[2], state)
        prev_hash, hash = state.get("prev_hash"), state.get("hash")
        if body is None or type(prev_hash) is not str or type(hash) is not str:
            return None
        return body, prev_hash, hash

    def _definition(self, row: Row) -> Checked:
        position, stream_id, version = row[0], row[1], row[2]
        try:
            link = self.decoder.link(row)
        except Unreadable as error:
            return position, stream_id, version, None, "", f"position {position}: {error}", \
                UNREADABLE_LEAF
        return (position, stream_id, version, link.prev_hash, link.hash, content_problem(link),
                leaf_of(link))


def checked(position: int, stream_id: str, version: int, body: bytes, prev_hash: str,
            hash: str) -> Checked:
    """The check of an event whose content (for this stream and version) is `body`."""
    problem = None
    if _sha256(prev_hash.encode("ascii", "replace") + body).hexdigest() != hash:
        problem = where(position, stream_id, version, "hash does not match the event's content")
    leaf = _sha256(b"\x00" + leaf_entry(stream_id, version, hash)).digest()
    return position, stream_id, version, prev_hash, hash, problem, leaf


def _content_bytes(event_class: Any, stream_id: str, version: int,
                   state: dict[str, Any]) -> bytes | None:
    """The canonical bytes of `hashed_content` for this event, or None to use the definition."""
    actor, salt = state.get("actor"), state.get("pd_salt")
    occurred_at = utc_text(state.get("timestamp"))
    if type(actor) is not dict or type(salt) is not str or occurred_at is None:
        return None
    if not float_free(state):  # data and actor (and the envelope: one pass is cheaper)
        return None
    data = {k: v for k, v in state.items() if k not in NOT_DATA}
    for name in event_class.PERSONAL:
        if name in data and not is_reduced(data[name]):
            value = plain_canonical(data[name])
            if value is None:
                return None
            data[name] = {"$digest": _sha256(salt.encode() + b"\x00" + value).hexdigest()}
    return plain_canonical({"type": event_class.TYPE, "stream_id": stream_id,
                            "version": version, "occurred_at": occurred_at, "actor": actor,
                            "data": data})
