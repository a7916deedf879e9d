"""Events as CloudEvents 1.0 in structured JSON mode (the Kafka protocol binding)."""

from __future__ import annotations

import json
from typing import Any

from domain.base import HubAggregate
from domain.chain import format_time
from domain.presentation import event_record

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
HEADERS = [("content-type", CONTENT_TYPE.encode())]


def event_id(event: HubAggregate.Event) -> str:
    """Stable for an event: a resend carries the same id, so consumers can drop duplicates."""
    return f"{event.originator_id}:{event.originator_version}"


def cloud_event(event: HubAggregate.Event, *, position: int, source: str,
                masked: bool) -> dict[str, Any]:
    """The CloudEvent for one stored event; `masked` hides personal data."""
    return {
        "specversion": "1.0",
        "id": event_id(event),
        "source": source,
        "type": type(event).TYPE,
        "time": format_time(event.timestamp),
        "subject": str(event.originator_id),
        "datacontenttype": "application/json",
        "data": event_record(event, masked=masked),
        "streamid": str(event.originator_id),
        "streamversion": event.originator_version,
        "position": position,
        "actoragency": event.actor.get("agency", ""),
        "actoruser": event.actor.get("user", ""),
        "hash": event.hash,
    }


def encode(document: dict[str, Any]) -> bytes:
    """A message value: compact UTF-8 JSON."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
