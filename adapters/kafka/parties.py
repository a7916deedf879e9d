"""Who is party to a stream at each event, without reloading aggregates for every event."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from adapters.kafka.topics import parties_of
from domain.base import HubAggregate

# Streams whose events never go to an agency topic: no aggregate is kept for them.
PARTYLESS = ("token.", "access.", "command.", "directory.")


class PartyTracker:
    """Keeps recent aggregates in memory and advances them event by event (LRU-bounded).

    A stream not in memory (after a restart, or evicted) is loaded once at the event's version;
    after that each event is applied to the kept aggregate, as the repository would.
    """

    def __init__(self, app: Application, capacity: int = 20000) -> None:
        self.app = app
        self.capacity = capacity
        self.aggregates: OrderedDict[UUID, Any] = OrderedDict()
        self.loads = 0

    def parties(self, event: HubAggregate.Event) -> list[str]:
        """The agencies party to the event's stream once the event has happened."""
        if type(event).TYPE.startswith(PARTYLESS):
            return []
        return parties_of(self._advance(event))

    def _advance(self, event: HubAggregate.Event) -> Any:
        stream, version = event.originator_id, event.originator_version
        kept = self.aggregates.pop(stream, None)
        if version == 1:
            aggregate = event.mutate(None)
        elif kept is not None and kept.version == version - 1:
            aggregate = event.mutate(kept)
        else:
            self.loads += 1
            aggregate = self.app.repository.get(stream, version=version)
        self.aggregates[stream] = aggregate
        if len(self.aggregates) > self.capacity:
            self.aggregates.popitem(last=False)
        return aggregate

