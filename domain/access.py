"""Access records: who read a resource's personal data, when, and why — a chained stream."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import Caller, HubAggregate, chained_after, stable_id


def access_log_id(resource_id: str | UUID) -> UUID:
    return stable_id("access-log", str(resource_id))


class AccessLog(HubAggregate):
    """The reads of one referral or case, in order."""

    if TYPE_CHECKING:
        resource_id: str
        resource_kind: str
        reads: list[dict[str, Any]]

    class Opened(HubAggregate.Created):
        TYPE = "access.log_opened"
        resource_id: str
        resource_kind: str

        def evolve(self, log: AccessLog) -> None:
            log.resource_id, log.resource_kind, log.reads = self.resource_id, self.resource_kind, []

    class Read(HubAggregate.Event):
        TYPE = "access.read"
        role: str
        purpose: str | None
        view: str

        def evolve(self, log: AccessLog) -> None:
            log.reads.append(self.as_record())

        def as_record(self) -> dict[str, Any]:
            """The read as the access log lists it."""
            return {"at": self.timestamp, "actor": dict(self.actor), "role": self.role,
                    "purpose": self.purpose, "view": self.view}

    @classmethod
    def open(cls, resource_id: str | UUID, resource_kind: str, *, at: datetime) -> AccessLog:
        log: AccessLog = cls._start(cls.Opened, id=access_log_id(resource_id),
                                    resource_id=str(resource_id), resource_kind=resource_kind,
                                    actor={"agency": "hub", "user": "system"}, timestamp=at)
        return log

    def record(self, caller: Caller, *, at: datetime, purpose: str | None, view: str) -> None:
        """Append one read: `view` says what was returned (e.g. 'current', 'history')."""
        self._record(self.Read, actor=caller.actor, timestamp=at, role=caller.role,
                     purpose=purpose, view=view)

    @classmethod
    def read_after(cls, last: HubAggregate.Event, caller: Caller, *, at: datetime,
                   purpose: str | None, view: str) -> AccessLog.Read:
        """The next read of a log whose last stored event is `last` (the log is not loaded)."""
        return chained_after(last, cls.Read, actor=caller.actor, timestamp=at, role=caller.role,
                             purpose=purpose, view=view)


def reads_of(events: Iterable[Any]) -> list[dict[str, Any]]:
    """The reads a log's stored events record, oldest first."""
    return [event.as_record() for event in events if isinstance(event, AccessLog.Read)]
