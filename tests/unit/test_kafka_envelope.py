"""The envelope of a command from Kafka: each field at fault named (adapters/kafka/commands.py)."""

from __future__ import annotations

import json

import pytest

from adapters.kafka.commands import parse
from domain.errors import Invalid

COMMAND = {"command_id": "c-1", "type": "submit_referral", "payload": {}}


@pytest.mark.parametrize("user", ["bob\n", "", "x" * 65, "bob smith", 7])
def test_a_user_that_is_no_user_name_is_refused_by_name(user: object) -> None:
    """`$` also matched before a final newline: "bob\\n" passed as a user name."""
    with pytest.raises(Invalid) as refused:
        parse(json.dumps({**COMMAND, "user": user}).encode())
    assert "user" in refused.value.errors


@pytest.mark.parametrize("user", ["bob", "kafka:bob@x.org", "a" * 64])
def test_a_user_name_is_kept(user: str) -> None:
    assert parse(json.dumps({**COMMAND, "user": user}).encode()).user == user
