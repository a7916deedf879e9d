"""Chain verification over stored events, one event at a time, keeping only each stream's head.

Works from what an event says (its hashed content, `prev_hash` and `hash`), so the same check
runs on the live store (after decryption) and on an exported bundle (no cipher key needed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from domain.base import HubAggregate
from domain.chain import ENVELOPE, GENESIS, hashed_content

# Stored attributes that are neither the event's data nor part of its chain envelope.
NOT_DATA = ENVELOPE | {"class_version"}


@dataclass(frozen=True, slots=True)
class Link:
    """One event's place in its stream's chain, and the content its hash covers."""

    position: int
    stream_id: str
    version: int
    content: Mapping[str, Any]
    prev_hash: str
    hash: str


def stored_time(value: Any) -> datetime:
    """A stored timestamp (the transcoder's `datetime_iso` form, or an ISO string)."""
    text = value["_data_"] if isinstance(value, dict) else value
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def link_of(position: int, stream_id: str, version: int,
            event_class: type[HubAggregate.Event], state: Mapping[str, Any]) -> Link:
    """The link of a decoded stored event (`state` as the transcoder wrote it)."""
    content = hashed_content(
        event_type=event_class.TYPE, stream_id=stream_id, version=version,
        occurred_at=stored_time(state["timestamp"]), actor=state["actor"],
        data={k: v for k, v in state.items() if k not in NOT_DATA},
        personal=event_class.PERSONAL, salt=state["pd_salt"],
    )
    return Link(position, stream_id, version, content, state["prev_hash"], state["hash"])


@dataclass
class ChainVerifier:
    """Checks links in log order; remembers each stream's last version and hash only."""

    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    events_checked: int = 0

    @property
    def streams_checked(self) -> int:
        return len(self.heads)

    def check(self, link: Link) -> str | None:
        """The first thing wrong with this link, or None; the stream's head moves on."""
        return self.follow(link.position, link.stream_id, link.version, link.prev_hash,
                           link.hash) or content_problem(link)

    def follow(self, position: int, stream_id: str, version: int, prev_hash: str,
               hash: str) -> str | None:
        """Where the event stands in its stream: the version and prev_hash it must have."""
        self.events_checked += 1
        last, prev = self.heads.get(stream_id, (0, GENESIS))
        self.heads[stream_id] = (version, hash)
        if version != last + 1:
            return where(position, stream_id, version,
                         f"expected version {last + 1} (an event is missing or moved)")
        if prev_hash != prev:
            return where(position, stream_id, version,
                         "prev_hash does not match the previous event's hash")
        return None


def content_problem(link: Link) -> str | None:
    """Whether the event's own content gives its hash (checkable in any order, in parallel)."""
    content = link.content
    if content.get("stream_id") != link.stream_id or content.get("version") != link.version:
        return where(link.position, link.stream_id, link.version,
                     "the event's content names another stream or version")
    if content_hash(link.prev_hash, content) != link.hash:
        return where(link.position, link.stream_id, link.version,
                     "hash does not match the event's content")
    return None


def where(position: int, stream_id: str, version: int, problem: str) -> str:
    return f"position {position}: stream {stream_id} v{version}: {problem}"

# The encoder `canonical_json` uses, built once: `json.dumps` with options builds one per call.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                              allow_nan=False).encode


def content_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """`chain_hash(prev_hash, content)`, computed faster (the same bytes are hashed)."""
    try:
        body = _CANONICAL(content).encode("utf-8")
    except (TypeError, ValueError):
        return ""  # content that is not canonical JSON matches no hash
    return hashlib.sha256(prev_hash.encode("ascii", "replace") + body).hexdigest()
