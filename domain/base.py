"""The hub's aggregate base: every event names its actor and is chained to the one before."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.chain import ENVELOPE, GENESIS, chain_hash, hashed_content

HUB_NAMESPACE = uuid5(NAMESPACE_URL, "https://referral-hub.invalid/ids")

ROLES = ("staff", "admin", "inspector")

E = TypeVar("E", bound="HubAggregate.Event")


def stable_id(*parts: str) -> UUID:
    """A deterministic id from non-personal parts (slugs, hashes, idempotency keys)."""
    return uuid5(HUB_NAMESPACE, "\x1f".join(parts))


@dataclass(frozen=True)
class Caller:
    """Who is acting: a user of an agency with a role (or the hub administrator)."""

    agency: str
    user: str
    role: str
    jurisdiction: str = ""

    @property
    def actor(self) -> dict[str, str]:
        return {"agency": self.agency, "user": self.user}

    @property
    def is_hub_admin(self) -> bool:
        return self.role == "hub_admin"

    @property
    def is_inspector(self) -> bool:
        return self.role == "inspector"

    def oversees(self, jurisdiction: str) -> bool:
        """True when `jurisdiction` lies within the caller's own (a path-prefix match)."""
        mine = self.jurisdiction.strip("/")
        theirs = jurisdiction.strip("/")
        return bool(mine) and (theirs == mine or theirs.startswith(mine + "/"))


SYSTEM = Caller(agency="hub", user="system", role="system")


class HubAggregate(Aggregate):
    """An aggregate whose events carry an actor, `prev_hash` and `hash`."""

    chain_head = GENESIS  # the hash of the last event applied (not a dataclass field)

    class Event(Aggregate.Event):
        """Every event: who did it, and its place in the stream's hash chain."""

        TYPE: ClassVar[str] = ""
        PERSONAL: ClassVar[tuple[str, ...]] = ()

        actor: dict[str, str]
        pd_salt: str
        prev_hash: str
        hash: str

        def apply(self, aggregate: Any) -> None:
            self.evolve(aggregate)
            aggregate.chain_head = self.hash

        def evolve(self, aggregate: Any) -> None:
            """Change the aggregate's state; subclasses override."""

    class Created(Event, Aggregate.Created):
        """The first event of a stream."""

    def __init__(self) -> None:
        """State is set by the created event's `evolve`."""

    @classmethod
    def _start(cls, event_class: type[Created], *, id: UUID, **kwargs: Any) -> Any:
        """Create the aggregate with its first, chained event."""
        sealed = _seal(event_class, id, cls.INITIAL_VERSION, GENESIS, kwargs)
        return cls._create(event_class, id=id, **sealed)

    def _record(self, event_class: type[Event], **kwargs: Any) -> None:
        """Trigger the next event of this stream, chained to the last."""
        sealed = _seal(event_class, self.id, self.version + 1, self.chain_head, kwargs)
        self.trigger_event(event_class, **sealed)


def chained_after(last: HubAggregate.Event, event_class: type[E], **kwargs: Any) -> E:
    """The event that follows `last` in its stream, built from `last` alone.

    Its version and `prev_hash` come from the stream's last stored event, so a stream that is
    only ever appended to (the access logs) grows without its aggregate being reconstructed.
    """
    version = last.originator_version + 1
    sealed = _seal(event_class, last.originator_id, version, last.hash, kwargs)
    return event_class(originator_id=last.originator_id, originator_version=version, **sealed)


def _seal(
    event_class: type[HubAggregate.Event],
    stream_id: UUID,
    version: int,
    prev_hash: str,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    timestamp = cast(datetime, kwargs.get("timestamp") or event_class.create_timestamp())
    salt = secrets.token_hex(16) if event_class.PERSONAL else ""
    data = {k: v for k, v in kwargs.items() if k not in ENVELOPE}
    content = hashed_content(
        event_type=event_class.TYPE,
        stream_id=str(stream_id),
        version=version,
        occurred_at=timestamp,
        actor=kwargs["actor"],
        data=data,
        personal=event_class.PERSONAL,
        salt=salt,
    )
    return {**kwargs, "timestamp": timestamp, "pd_salt": salt, "prev_hash": prev_hash,
            "hash": chain_hash(prev_hash, content)}


def recompute_hash(event: HubAggregate.Event) -> str:
    """The hash an event should carry, recomputed from what it says."""
    state = vars(event)
    content = hashed_content(
        event_type=type(event).TYPE,
        stream_id=str(event.originator_id),
        version=event.originator_version,
        occurred_at=event.timestamp,
        actor=event.actor,
        data={k: v for k, v in state.items() if k not in ENVELOPE},
        personal=type(event).PERSONAL,
        salt=event.pd_salt,
    )
    return chain_hash(event.prev_hash, content)
