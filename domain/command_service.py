"""Commands from agencies' own systems: a referral action and its ledger entry, saved together."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.base import Caller
from domain.commands import ProcessedCommand, command_stream_id
from domain.errors import Invalid
from domain.referral import Referral
from domain.referral_service import ACTIONS

if TYPE_CHECKING:
    from domain.application import HubApplication as _Base
else:
    _Base = object


class AlreadyProcessed(Exception):
    """The command id is in the ledger: a repeat (raised inside a change, caught at once)."""


class CommandLedger(_Base):
    """Referral actions that take effect at most once per (agency, command id)."""

    def processed_command(self, agency: str, command_id: str) -> ProcessedCommand | None:
        """The ledger entry of a command that took effect, or None."""
        stream_id = command_stream_id(agency, command_id)
        if not self.stream_exists(stream_id):
            return None
        return self.load(stream_id, ProcessedCommand)

    def act_once(self, caller: Caller, command_id: str, referral_id: str | UUID, action: str,
                 payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Run an action unless `command_id` already took effect; returns (outcome, repeated)."""
        done = self.processed_command(caller.agency, command_id)
        if done is not None:
            return done.outcome(), True

        def command(referral: Referral) -> list[ProcessedCommand]:
            if self.stream_exists(command_stream_id(caller.agency, command_id)):
                raise AlreadyProcessed  # a concurrent ingest saved it after our first look
            self._run_action(caller, referral, action, payload)
            return [ProcessedCommand.record(
                caller=caller, command_id=command_id, action=action, referral_id=str(referral.id),
                status=referral.status, referral_version=referral.version, at=self.clock())]

        try:
            self.change(referral_id, Referral, command,
                        check=lambda r: self.require_visible(caller, r))
        except AlreadyProcessed:
            entry = self.processed_command(caller.agency, command_id)
            assert entry is not None
            return entry.outcome(), True
        entry = self.processed_command(caller.agency, command_id)
        assert entry is not None
        return entry.outcome(), False

    def _run_action(self, caller: Caller, referral: Referral, action: str,
                    payload: dict[str, Any]) -> None:
        """The action itself, checked as `act_on_referral` checks it."""
        if action == "redirect":
            referral.guard(action, caller)
            if not self.agency_exists(payload["to_agency"]):
                raise Invalid("Unknown receiving agency.", {"to_agency": ["No such agency."]})
        ACTIONS[action](referral, caller, at=self.clock(), **payload)
