"""The audit CLI end to end on SQLite: checkpoint, verify, export, offline bundle checks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.settings import Settings
from adapters.storage import open_application
from hub.cli import main
from projections.audit.checkpoint import public_pem
from tests.referral_world import caller, payload, register_world, submission
from tests.stores import TEST_CIPHER_KEY

Hub = Callable[..., Result]


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    """`hub ...` against a fresh SQLite store holding four referrals."""
    database = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    app = open_application(Settings(database_url=database, cipher_key=TEST_CIPHER_KEY),
                           create_tables=True)
    register_world(app, ["ref", "rec"])
    for _ in range(4):
        referral, _ = app.submit_referral(caller("ref"), submission())
        app.act_on_referral(caller("rec"), referral.id, "accept", payload("accept"))
    app.close()
    env = {"HUB_DATABASE_URL": database, "HUB_CIPHER_KEY": TEST_CIPHER_KEY}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)
    return run


def last_json(result: Result) -> Any:
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def bundle(hub: Hub, tmp_path: Path) -> tuple[Path, Path]:
    assert hub("audit", "checkpoint").exit_code == 0
    key = tmp_path / "audit.pem"
    key.write_text(hub("audit", "public-key").stdout)
    out = tmp_path / "bundle"
    exported = hub("audit", "export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    return out, key


def check(hub: Hub, out: Path, key: Path) -> Result:
    return hub("audit", "verify-bundle", str(out), "--public-key", str(key))


class TestCommands:
    def test_checkpoint_then_verify_reports_what_it_checked(self, hub: Hub) -> None:
        signed = last_json(hub("audit", "checkpoint"))
        assert signed["tree_size"] == 13 and len(signed["signature"]) == 88
        result = hub("verify")
        assert result.exit_code == 0, result.output
        report = last_json(result)
        assert report["ok"] and report["events_checked"] == 13
        assert report["streams_checked"] == 7 and report["checkpoints_checked"] == 1

    def test_verify_exits_1_naming_the_first_break(self, hub: Hub, tmp_path: Path) -> None:
        hub("audit", "checkpoint")
        with sqlite3.connect(tmp_path / "hub.sqlite") as db:
            db.execute("DELETE FROM stored_events WHERE rowid = (SELECT MAX(rowid) "
                       "FROM stored_events)")
        result = hub("verify")
        assert result.exit_code == 1
        assert "truncation" in last_json(result)["first_break"]
        assert hub("audit", "checkpoint").exit_code == 1

    def test_replay_to_a_version_and_a_moment(self, hub: Hub,
                                              bundle: tuple[Path, Path]) -> None:
        events = [json.loads(line) for line in (bundle[0] / "events.jsonl").open()]
        stream = next(e["stream_id"] for e in events if e["topic"].endswith("Submitted"))
        first = json.loads(hub("replay", stream, "--version", "1").stdout)
        assert first["version"] == 1 and first["state"]["status"] == "submitted"
        assert [e["type"] for e in first["events"]] == ["referral.submitted"]
        later = json.loads(hub("replay", stream, "--as-of", "2100-01-01T00:00:00Z").stdout)
        assert later["version"] == 2 and later["verified"] is True
        assert hub("replay", stream, "--as-of", "2000-01-01").exit_code == 1

    def test_bad_arguments_are_refused(self, hub: Hub, tmp_path: Path) -> None:
        assert hub("replay", "x", "--as-of", "yesterday").exit_code == 2
        assert hub("replay", "x", "--version", "0").exit_code == 2
        assert hub("replay", "not-a-stream").exit_code == 1
        bad_key = tmp_path / "bad.pem"
        bad_key.write_text("not a key")
        assert hub("audit", "verify-bundle", str(tmp_path), "--public-key",
                   str(bad_key)).exit_code == 2


class TestBundle:
    def test_an_untouched_bundle_verifies_offline(self, hub: Hub,
                                                  bundle: tuple[Path, Path]) -> None:
        out, key = bundle
        lines = (out / "events.jsonl").read_text().splitlines()
        assert len(lines) == 13 and TEST_CIPHER_KEY not in (out / "events.jsonl").read_text()
        assert "Li Xiaoming" not in (out / "events.jsonl").read_text()
        result = check(hub, out, key)
        assert result.exit_code == 0, result.output
        assert last_json(result)["events_checked"] == 13

    def test_an_edited_event_is_caught(self, hub: Hub, bundle: tuple[Path, Path]) -> None:
        out, key = bundle
        events = out / "events.jsonl"
        events.write_text(events.read_text().replace("parenting", "PARENTING", 1))
        result = check(hub, out, key)
        assert result.exit_code == 1 and "hash does not match" in last_json(result)["first_break"]

    def test_a_removed_event_is_caught(self, hub: Hub, bundle: tuple[Path, Path]) -> None:
        out, key = bundle
        events = out / "events.jsonl"
        lines = events.read_text().splitlines(keepends=True)
        events.write_text("".join(lines[:-1]))
        result = check(hub, out, key)
        assert result.exit_code == 1 and "truncation" in last_json(result)["first_break"]

    def test_swapped_events_are_caught(self, hub: Hub, bundle: tuple[Path, Path]) -> None:
        out, key = bundle
        events = out / "events.jsonl"
        lines = events.read_text().splitlines(keepends=True)
        lines[2], lines[3] = lines[3], lines[2]
        events.write_text("".join(lines))
        assert check(hub, out, key).exit_code == 1

    def test_an_edited_checkpoint_is_caught(self, hub: Hub, bundle: tuple[Path, Path]) -> None:
        out, key = bundle
        checkpoints = json.loads((out / "checkpoints.json").read_text())
        checkpoints[-1]["root"] = "00" * 32
        (out / "checkpoints.json").write_text(json.dumps(checkpoints))
        result = check(hub, out, key)
        assert result.exit_code == 1
        assert "signature does not verify" in last_json(result)["first_break"]

    def test_another_key_is_refused(self, hub: Hub, bundle: tuple[Path, Path],
                                    tmp_path: Path) -> None:
        out, _ = bundle
        other = tmp_path / "other.pem"
        other.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
        result = check(hub, out, other)
        assert result.exit_code == 1 and "not the key given" in last_json(result)["first_break"]

    @pytest.mark.parametrize("name,text,named", [
        ("manifest.json", "[]", "not a readable bundle"),
        ("manifest.json", "[" * 5000 + "]" * 5000, "not a readable bundle"),
        ("manifest.json", '{"events": "many"}', "the manifest lists many events"),
        ("checkpoints.json", "[1]", "not a readable bundle"),
        ("checkpoints.json", '[{"tree_size": "x"}]', "not a readable bundle"),
        ("checkpoints.json", "{}", "not a readable bundle"),
    ])
    def test_a_mangled_header_is_a_break_not_a_traceback(
            self, hub: Hub, bundle: tuple[Path, Path], name: str, text: str, named: str) -> None:
        out, key = bundle
        (out / name).write_text(text)
        result = check(hub, out, key)
        assert result.exit_code == 1, result.output
        assert named in last_json(result)["first_break"]

    @pytest.mark.parametrize("line", [
        "[" * 5000 + "]" * 5000,  # too deep for the JSON parsers
        '{"position": 1, "content": ' + '{"a": ' * 900 + "1" + "}" * 900 + "}",
    ])
    def test_a_mangled_event_line_is_a_break_not_a_traceback(
            self, hub: Hub, bundle: tuple[Path, Path], line: str) -> None:
        out, key = bundle
        events = out / "events.jsonl"
        lines = events.read_text().splitlines(keepends=True)
        lines[1] = line + "\n"
        events.write_text("".join(lines))
        result = check(hub, out, key)
        assert result.exit_code == 1, result.output
        assert last_json(result)["first_break"]
