"""Canonical event content and the per-stream SHA-256 hash chain.

The hash covers everything an event says except personal data in clear: personal fields
enter the hash as a salted digest, so an event still verifies after its personal data is
encrypted, masked or crypto-shredded (the salt goes with the data and is never hashed).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Attributes every stored event has that are not part of its data.
ENVELOPE = frozenset(
    {"originator_id", "originator_version", "originator_topic", "timestamp",
     "actor", "prev_hash", "hash", "pd_salt"}
)


def format_time(moment: datetime) -> str:
    """The fixed time format of hashed content and of the API: UTC, microseconds, 'Z'.

    `strftime(TIME_FORMAT)`, written by `isoformat` (several times faster: every event and
    every answer writes times) wherever the two agree, that is for years from 1000 on
    (strftime writes year 999 as '999', isoformat as '0999')."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:
        return utc.strftime(TIME_FORMAT)
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # '+00:00' → 'Z'


def not_unicode(text: str) -> bool:
    """Whether a string holds an unpaired UTF-16 surrogate, which nothing can encode as UTF-8
    (`json.loads` reads `"\\ud800"` as one; Python hands undecodable argv bytes on as them):
    such text can be neither hashed nor stored."""
    return _SURROGATE.search(text) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, UTF-8, no insignificant whitespace."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def personal_digest(salt: str, value: Any) -> dict[str, str]:
    """What stands for a personal field in hashed content."""
    digest = hashlib.sha256(salt.encode() + b"\x00" + canonical_json(value)).hexdigest()
    return {"$digest": digest}


def event_data(state: Mapping[str, Any]) -> dict[str, Any]:
    """The event-specific fields of an event's attributes (personal data in clear)."""
    return {k: v for k, v in state.items() if k not in ENVELOPE}


def hashed_content(
    *,
    event_type: str,
    stream_id: str,
    version: int,
    occurred_at: datetime,
    actor: Mapping[str, Any],
    data: Mapping[str, Any],
    personal: Iterable[str],
    salt: str,
) -> dict[str, Any]:
    """The canonical content of one event, with personal fields reduced to digests."""
    personal = set(personal)
    hashed_data = {
        k: (personal_digest(salt, v) if k in personal and not is_reduced(v) else v)
        for k, v in data.items()
    }
    return {
        "type": event_type,
        "stream_id": stream_id,
        "version": version,
        "occurred_at": format_time(occurred_at),
        "actor": dict(actor),
        "data": hashed_data,
    }


def is_reduced(value: Any) -> bool:
    """A personal field that is absent, or already shredded down to its digest."""
    return value is None or (isinstance(value, dict) and set(value) == {"$digest"})


def chain_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """SHA-256(prev_hash ‖ canonical JSON of the event)."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(content)).hexdigest()
