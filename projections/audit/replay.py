"""`hub replay`: a stream's state and events up to a moment or a version (from snapshots)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.application import HubApplication, parse_id
from domain.base import HubAggregate
from domain.case import Case
from domain.case_view import case_view
from domain.chain import format_time
from domain.errors import NotFound
from domain.presentation import chain_breaks, event_record
from domain.referral import Referral

PRIVATE = ("_pending_events", "chain_head")


def state_of(aggregate: HubAggregate, moment: datetime) -> dict[str, Any]:
    """The aggregate's state as the API shows it (or its attributes for other kinds)."""
    if isinstance(aggregate, Referral):
        return aggregate.view(moment)
    if isinstance(aggregate, Case):
        return case_view(aggregate, moment.date())
    return {k: (format_time(v) if isinstance(v, datetime) else v)
            for k, v in vars(aggregate).items() if not k.startswith(PRIVATE)}


def replay_stream(app: HubApplication, stream_id: str, *, as_of: datetime | None = None,
                  version: int | None = None) -> dict[str, Any]:
    """The state and the events of one stream up to `as_of` or `version` (default: now)."""
    current = app.load(stream_id, HubAggregate)
    if version is not None and not 1 <= version <= current.version:
        raise NotFound(f"The stream has no version {version}.")
    if as_of is not None:
        aggregate = app.as_of(stream_id, HubAggregate, as_of)
    elif version is not None:
        aggregate = app.load(stream_id, HubAggregate, version=version)
    else:
        aggregate = current
    events = list(app.events.get(parse_id(stream_id), lte=aggregate.version))
    moment = as_of or (events[-1].timestamp if events else datetime.now(UTC))
    return {"stream_id": str(aggregate.id), "kind": type(aggregate).__name__,
            "version": aggregate.version, "current_version": current.version,
            "state": state_of(aggregate, moment),
            "events": [event_record(e) for e in events], "verified": not chain_breaks(events)}
