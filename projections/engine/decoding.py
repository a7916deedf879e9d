"""Decoding stored events for catch-up: the application mapper's result, with less work per event.

The library's `Mapper.to_domain_event` builds a new AES-GCM object (and its key schedule) for
every event, parses the JSON with a Python `object_hook` called for every object in it, and
looks up the event class and the id convertor each time. `LeanDecoder` gives the same events
with one AES-GCM object, orjson, and the class and convertor looked up once per topic. It takes
the quick path only where the result is plainly the same: the state's one transcoded value is
its `timestamp` (a `datetime_iso`), no upcasting, no compression, the library's AES-GCM
cipher. Anything else, including every error, goes through the mapper itself, so a damaged or
unusual event decodes, or fails, exactly as the application would have it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import TopicError, resolve_topic

Builder = tuple[type[Any], Callable[[Any], Any]]  # event class, originator id convertor

NONCE, TAG = 12, 16  # AESCipher's layout: nonce, tag, then the ciphertext


class LeanDecoder:
    """Decodes stored events as `mapper.to_domain_event` does, faster on the common path."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        self.aead = AESGCM(mapper.cipher.key) if isinstance(mapper.cipher, AESCipher) else None
        self.lean = _plain_json_with_times(mapper) and (mapper.cipher is None or
                                                        self.aead is not None)
        self.builders: dict[tuple[str, type], Builder | None] = {}

    def decode(self, stored_events: Sequence[StoredEvent]) -> list[Any]:
        """The domain events of `stored_events`, in order."""
        if not self.lean:
            return [self.mapper.to_domain_event(s) for s in stored_events]
        return [self._decode(s) for s in stored_events]

    def _decode(self, stored: StoredEvent) -> Any:
        builder = self._builder(stored.topic, type(stored.originator_id))
        plaintext = self._plaintext(stored.state) if builder is not None else None
        state = _state(plaintext) if plaintext is not None else None
        if builder is None or state is None:
            return self.mapper.to_domain_event(stored)
        cls, convert = builder
        state["originator_id"] = convert(stored.originator_id)
        state["originator_version"] = stored.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    def _plaintext(self, state: bytes) -> bytes | None:
        """The decrypted state, or None when it does not decrypt (the mapper says why)."""
        if self.aead is None:
            return state
        if len(state) < NONCE + TAG:
            return None
        nonce, tag, body = state[:NONCE], state[NONCE:NONCE + TAG], state[NONCE + TAG:]
        try:
            return self.aead.decrypt(nonce, body + tag, None)
        except InvalidTag:
            return None

    def _builder(self, topic: str, id_type: type) -> Builder | None:
        """The event class of `topic` and its id convertor; None where the quick path does
        not apply (an unknown topic, a class that upcasts)."""
        key = (topic, id_type)
        if key not in self.builders:
            self.builders[key] = _find_builder(topic, id_type)
        return self.builders[key]


def _find_builder(topic: str, id_type: type) -> Builder | None:
    try:
        cls = resolve_topic(topic)
        convert = find_id_convertor(cls, cast(Hashable, id_type))
    except (TopicError, TypeError):  # the mapper raises it again, in its own words
        return None
    if getattr(cls, "class_version", 1) != 1:
        return None
    return cls, convert


def _plain_json_with_times(mapper: Mapper[Any]) -> bool:
    """Whether the mapper is the library's JSON transcoder, timestamps as `datetime_iso`, and
    no compressor: what `_state` reproduces."""
    transcoder = mapper.transcoder
    return (mapper.compressor is None and type(transcoder) is JSONTranscoder
            and type(transcoder.names.get("datetime_iso")) is DatetimeAsISO)


def _state(plaintext: bytes) -> dict[str, Any] | None:
    """The event's state as the transcoder decodes it, when its one transcoded value is the
    top-level `timestamp`; None otherwise (another transcoded value, a `class_version` to
    upcast, an escape that might spell `_type_`, JSON orjson does not read)."""
    if plaintext.count(b'"_type_"') != 1 or b"\\u" in plaintext:
        return None
    try:
        state = orjson.loads(plaintext)
    except orjson.JSONDecodeError:
        return None
    if type(state) is not dict or "class_version" in state:
        return None
    stamp = state.get("timestamp")
    if (type(stamp) is not dict or len(stamp) != 2 or stamp.get("_type_") != "datetime_iso"
            or type(stamp.get("_data_")) is not str):
        return None
    try:
        state["timestamp"] = datetime.fromisoformat(stamp["_data_"])
    except ValueError:
        return None
    return state
