"""Commands from an agency's own system: the envelope, its checks, and its execution."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.kafka.problems import Malformed
from adapters.problems import MAX_DEPTH, json_problem
from domain.application import HubApplication
from domain.base import Caller
from domain.errors import Invalid, NotFound

# Validates a payload with the REST schemas: (action or "submit", payload) -> loaded fields;
# raises domain.errors.Invalid naming each field at fault. Injected by the composition root.
Validator = Callable[[str, dict[str, Any]], dict[str, Any]]

ACTION_OF = {
    "accept": "accept", "decline": "decline", "redirect": "redirect",
    "request_info": "request-info", "provide_info": "provide-info", "withdraw": "withdraw",
    "add_note": "notes", "complete": "complete", "acknowledge": "acknowledge",
    "reopen": "reopen",
}
TYPES = ("submit_referral", *ACTION_OF)
FIELDS = {"command_id", "type", "referral_id", "payload", "user"}
USER = re.compile(r"[A-Za-z0-9._@:-]{1,64}")  # fullmatch: `$` would let "bob\n" through


@dataclass(frozen=True)
class Command:
    """One command, its envelope checked (the payload is checked by the REST schemas)."""

    command_id: str
    type: str
    payload: dict[str, Any]
    referral_id: str | None = None
    user: str | None = None


def command_id_of(raw: bytes | None) -> str | None:
    """The command id of a message, if one can be read at all (for the result of a bad one)."""
    try:
        found = json.loads(raw or b"").get("command_id")
    except (ValueError, AttributeError, RecursionError):
        return None
    return found if isinstance(found, str) and 0 < len(found) <= 200 else None


def parse(raw: bytes | None) -> Command:
    """The command a message carries; Malformed or Invalid (naming each field) if it is bad."""
    try:
        body = json.loads(raw or b"")
    except ValueError:
        raise Malformed("The message is not JSON.") from None
    except RecursionError:
        raise Malformed(f"The message nests deeper than {MAX_DEPTH} levels.") from None
    if not isinstance(body, dict):
        raise Malformed("The message is not a JSON object.")
    found = json_problem(body)
    if found is not None:
        raise Invalid("The command holds text that is not Unicode, or nests too deeply.",
                      {found[0]: [found[1]]})
    problems = {name: ["Unknown field."] for name in sorted(set(body) - FIELDS)}
    problems.update(_envelope_problems(body))
    if problems:
        raise Invalid("The command's envelope is invalid.", problems)
    return Command(command_id=body["command_id"], type=body["type"], payload=body["payload"],
                   referral_id=body.get("referral_id"), user=body.get("user"))


def _envelope_problems(body: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    command_id = body.get("command_id")
    if not isinstance(command_id, str) or not 0 < len(command_id) <= 200:
        found["command_id"] = ["Required: a string of 1-200 characters."]
    if body.get("type") not in TYPES:
        found["type"] = [f"Must be one of: {', '.join(TYPES)}."]
    if not isinstance(body.get("payload"), dict):
        found["payload"] = ["Required: a JSON object."]
    referral_id = body.get("referral_id")
    if body.get("type") in ACTION_OF and not isinstance(referral_id, str):
        found["referral_id"] = ["Required for this command type: the referral's id."]
    elif body.get("type") == "submit_referral" and referral_id is not None:
        found["referral_id"] = ["Not allowed when submitting: the hub assigns the id."]
    user = body.get("user")
    if user is not None and not (isinstance(user, str) and USER.fullmatch(user)):
        found["user"] = ["1-64 characters of A-Z, a-z, 0-9 and ._@:-"]
    return found


def execute(app: HubApplication, agency: str, command: Command,
            validate: Validator) -> dict[str, Any]:
    """Run the command as the agency the topic names; the result's fields besides command_id."""
    if not app.agency_exists(agency):
        raise NotFound(f"No agency {agency!r} is registered.")
    caller = Caller(agency=agency, user=command.user or f"kafka:{agency}", role="staff")
    if command.type == "submit_referral":
        fields = validate("submit", command.payload)
        referral, is_new = app.submit_referral(caller, fields, f"kafka:{command.command_id}")
        return {"ok": True, "status": referral.status, "referral_id": str(referral.id),
                "repeated": not is_new}
    action = ACTION_OF[command.type]
    fields = validate(action, command.payload)
    assert command.referral_id is not None
    outcome, repeated = app.act_once(caller, command.command_id, command.referral_id, action,
                                     fields)
    return {"ok": True, **outcome, "repeated": repeated}
