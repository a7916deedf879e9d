"""The hub's Application: the service layer, one method per command (get → command → save)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.access import AccessLog, access_log_id
from domain.agency_service import AgencyCommands
from domain.base import Caller, HubAggregate
from domain.case import Case
from domain.case_service import CaseCommands
from domain.command_service import CommandLedger
from domain.errors import Conflict, NotFound, VersionMismatch
from domain.group_commit import GroupCommit
from domain.referral import Referral
from domain.referral_service import ReferralCommands

A = TypeVar("A", bound=HubAggregate)

# A command without If-Match that loses an optimistic-concurrency race is retried this often.
MAX_ATTEMPTS = 64


def parse_id(value: str | UUID) -> UUID:
    """A stream id from a URL; anything that is not a UUID names nothing."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("No such resource.") from None


def utc_now() -> datetime:
    return datetime.now(UTC)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's `project_aggregate` without its `assert isinstance(event,
    CanMutateProtocol)` per event: an isinstance against a runtime-checkable Protocol re-walks
    the protocol's attributes every time (~0.1 ms in Python 3.11), more than decoding the event.
    Every stored event and snapshot of this store has `mutate`."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _back_off(attempt: int) -> None:
    """A short random pause before retrying a lost race, longer after each loss."""
    time.sleep(random.uniform(0, 0.002 * (attempt + 1)))


class HubApplication(AgencyCommands, ReferralCommands, CaseCommands, CommandLedger, Application):
    """Every command of the hub, over one event store."""

    name = "hub"
    # Access logs are only appended to, from their tail, and listed from their events: a
    # snapshot of one would hold every read and never be used to write.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Referral: 50, Case: 50}

    def __init__(self, env: Mapping[str, str] | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(env)
        self.clock = clock
        # Per-process memories that are checked against the store (agency_service.py):
        # token digest → (caller, token stream version when verified, token stream id); agencies
        # seen to exist.
        self.verified_tokens: dict[str, tuple[Caller, int, UUID]] = {}
        self.known_agencies: set[str] = set()
        self.new_streams = GroupCommit(self.save)

    def load(self, stream_id: str | UUID, kind: type[A], version: int | None = None) -> A:
        """The aggregate of `kind` with that id, or NotFound."""
        try:
            aggregate = self.repository.get(parse_id(stream_id), version=version,
                                            projector_func=replay)
        except AggregateNotFoundError:
            raise NotFound("No such resource.") from None
        if not isinstance(aggregate, kind):
            raise NotFound("No such resource.")
        return aggregate

    def change(
        self,
        stream_id: str | UUID,
        kind: type[A],
        command: Callable[[A], list[HubAggregate] | None],
        *,
        expected_version: int | None = None,
        check: Callable[[A], None] | None = None,
    ) -> A:
        """Load, check, run the command and save; reload and retry when a race is lost.

        `check` runs before the version comparison (visibility: 404 before 412); the command
        may return further aggregates to save in the same transaction — build them inside the
        command, since a failed save consumes their pending events and a retry needs new ones.
        """
        for attempt in range(MAX_ATTEMPTS):
            aggregate = self.load(stream_id, kind)
            if check is not None:
                check(aggregate)
            if expected_version is not None and aggregate.version != expected_version:
                raise VersionMismatch(
                    f"Version {expected_version} is not current; the current version is "
                    f"{aggregate.version}.", current=aggregate.version)
            others = command(aggregate) or []
            try:
                self.save(aggregate, *others)
                return aggregate
            except IntegrityError:
                if expected_version is not None:
                    current = self.load(stream_id, kind).version
                    raise VersionMismatch(
                        f"Version {expected_version} is not current; the current version is "
                        f"{current}.", current=current) from None
                _back_off(attempt)
        raise Conflict("The resource is too busy; try again.")

    def create(self, *aggregates: HubAggregate) -> None:
        """Save new aggregates, atomically, in one transaction with other threads' new ones
        (group commit); Conflict when one of them exists already."""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        try:
            self.new_streams.save(events)
        except IntegrityError:
            raise Conflict("That resource exists already.") from None

    def as_of(self, stream_id: str | UUID, kind: type[A], moment: datetime) -> A:
        """The aggregate as it stood at `moment` (NotFound before it existed; naive = UTC)."""
        if moment.tzinfo is None:  # comparing with the events' aware timestamps would raise
            moment = moment.replace(tzinfo=UTC)
        # A binary search over versions reading one event per probe: a 5,000-event stream
        # takes 13 reads, not 5,000 decryptions; the state then comes from snapshots.
        uid = parse_id(stream_id)
        newest = list(self.events.get(uid, desc=True, limit=1))
        low, high = 0, newest[0].originator_version if newest else 0
        while low < high:  # invariant: the answer (0 = none yet) lies in [low, high]
            middle = (low + high + 1) // 2
            probe = next(iter(self.events.get(uid, gt=middle - 1, lte=middle)))
            low, high = (middle, high) if probe.timestamp <= moment else (low, middle - 1)
        if low == 0:
            raise NotFound("The resource did not exist at that time.")
        return self.load(stream_id, kind, version=low)

    def record_access(self, caller: Caller, resource_id: str | UUID, resource_kind: str, *,
                      purpose: str | None = None, view: str = "current") -> None:
        """Append an access record for a read that returned personal data.

        The record is chained to the log's last stored event, read alone: the log is never
        reconstructed, so recording costs the same however often the resource was read. Two
        readers that chain to the same event race on its version; the loser reads the new
        tail and appends after it, so both are recorded and the chain stays unbroken.
        """
        at = self.clock()
        log_id = access_log_id(resource_id)
        for attempt in range(MAX_ATTEMPTS):
            last = next(iter(self.events.get(log_id, desc=True, limit=1)), None)
            if last is None:
                log = AccessLog.open(resource_id, resource_kind, at=at)
                log.record(caller, at=at, purpose=purpose, view=view)
                pending: AccessLog | AccessLog.Read = log
            else:
                pending = AccessLog.read_after(last, caller, at=at, purpose=purpose, view=view)
            try:
                self.save(pending)
                return
            except IntegrityError:
                _back_off(attempt)
        raise Conflict("The resource is too busy; try again.")

    def history(self, stream_id: str | UUID) -> list[Any]:
        """Every stored event of one stream, in order."""
        return list(self.events.get(parse_id(stream_id)))
