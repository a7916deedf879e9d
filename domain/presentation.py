"""Events as the contract shows them: `{version, type, occurred_at, actor, data, hash, prev_hash}`."""

from __future__ import annotations

from typing import Any

from domain.base import HubAggregate, recompute_hash
from domain.chain import GENESIS, event_data, format_time
from domain.privacy import mask_fields


def event_record(event: HubAggregate.Event, *, masked: bool = False) -> dict[str, Any]:
    """One stored event in the contract's shape; `masked` hides personal data."""
    data = event_data(vars(event))
    if masked:
        data = mask_fields(data, type(event).PERSONAL)
    return {
        "stream_id": str(event.originator_id),
        "version": event.originator_version,
        "type": type(event).TYPE,
        "occurred_at": format_time(event.timestamp),
        "actor": dict(event.actor),
        "data": data,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


def chain_breaks(events: list[HubAggregate.Event]) -> list[str]:
    """What is wrong with one stream's chain (empty when it verifies)."""
    problems: list[str] = []
    expected_prev, expected_version = GENESIS, 1
    for event in events:
        where = f"{event.originator_id} v{event.originator_version}"
        if event.originator_version != expected_version:
            problems.append(f"{where}: expected version {expected_version}")
        if event.prev_hash != expected_prev:
            problems.append(f"{where}: prev_hash does not match the previous event")
        if recompute_hash(event) != event.hash:
            problems.append(f"{where}: hash does not match the event's content")
        expected_prev, expected_version = event.hash, event.originator_version + 1
    return problems
