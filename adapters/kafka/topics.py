"""Topic names and routing: which topics each event belongs on."""

from __future__ import annotations

import re
from typing import Any

from domain.agency import Agency
from domain.base import HubAggregate

# Event types the public topic carries (masked). Tokens (their hashes), access records and the
# command ledger are never published; anything new stays off until it is listed here.
PUBLIC_KINDS = ("referral.", "case.", "agency.registered", "directory.")
SLUG = r"[a-z0-9-]{2,64}"


def events_topic(prefix: str) -> str:
    """The public topic: every referral and case event, personal data masked."""
    return f"{prefix}.events"


def agency_topic(prefix: str, agency: str) -> str:
    """One agency's topic: the events of everything it is party to, personal data included."""
    return f"{prefix}.agency.{agency}"


def inbound_topic(prefix: str, agency: str) -> str:
    """Where an agency's own system sends commands."""
    return f"{prefix}.inbound.{agency}"


def results_topic(prefix: str, agency: str) -> str:
    """Where the result of each of an agency's commands goes."""
    return f"{inbound_topic(prefix, agency)}.results"


def inbound_agency(prefix: str, topic: str) -> str | None:
    """The agency an inbound topic belongs to (None for any other topic)."""
    found = re.fullmatch(re.escape(prefix) + r"\.inbound\.(" + SLUG + ")", topic)
    return found.group(1) if found else None


def is_public(event: HubAggregate.Event) -> bool:
    """Whether the event goes (masked) to the public topic."""
    return type(event).TYPE.startswith(PUBLIC_KINDS)


def parties_of(aggregate: Any) -> list[str]:
    """The agencies party to an aggregate as it stands: its `parties`, or an agency itself."""
    if isinstance(aggregate, Agency):
        return [aggregate.slug]
    parties = getattr(aggregate, "parties", None)
    return [str(p) for p in parties] if isinstance(parties, list) else []
