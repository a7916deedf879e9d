"""Processed commands: a ledger entry per command id from an agency's system (at most once)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import Caller, HubAggregate, stable_id


def command_stream_id(agency: str, command_id: str) -> UUID:
    """The ledger entry a command id of an agency stands for (deterministic)."""
    return stable_id("command", agency, command_id)


class ProcessedCommand(HubAggregate):
    """One command that took effect, and its outcome; saved with the effect, in one transaction."""

    if TYPE_CHECKING:
        agency: str
        command_id: str
        action: str
        referral_id: str
        status: str
        referral_version: int

    class Processed(HubAggregate.Created):
        TYPE = "command.processed"
        agency: str
        command_id: str
        action: str
        referral_id: str
        status: str
        referral_version: int

        def evolve(self, command: ProcessedCommand) -> None:
            command.agency, command.command_id = self.agency, self.command_id
            command.action, command.referral_id = self.action, self.referral_id
            command.status, command.referral_version = self.status, self.referral_version

    @classmethod
    def record(cls, *, caller: Caller, command_id: str, action: str, referral_id: str,
               status: str, referral_version: int, at: datetime) -> ProcessedCommand:
        """Record that `command_id` of the caller's agency took effect, with its outcome."""
        entry: ProcessedCommand = cls._start(
            cls.Processed, id=command_stream_id(caller.agency, command_id), actor=caller.actor,
            timestamp=at, agency=caller.agency, command_id=command_id, action=action,
            referral_id=referral_id, status=status, referral_version=referral_version,
        )
        return entry

    def outcome(self) -> dict[str, Any]:
        """What the command's result said when it first took effect."""
        return {"referral_id": self.referral_id, "status": self.status}
