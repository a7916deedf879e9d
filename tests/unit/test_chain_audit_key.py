"""The audit key: from the environment, a key file, or generated once beside the database."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.audit_keys import audit_key, private_pem, sign_checkpoint
from adapters.settings import Settings, SettingsError
from projections.audit.checkpoint import key_id, sequence_problem, signature_problem

SEED = base64.b64encode(bytes(range(32))).decode()


def sqlite(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}")


def test_generated_once_beside_the_database_readable_by_the_owner_only(tmp_path: Path) -> None:
    first = audit_key(sqlite(tmp_path), environ={})
    again = audit_key(sqlite(tmp_path), environ={})
    assert key_id(first.public_key()) == key_id(again.public_key())
    path = tmp_path / "hub.audit-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_environment_and_a_key_file_take_precedence(tmp_path: Path) -> None:
    from_env = audit_key(sqlite(tmp_path), environ={"HUB_AUDIT_KEY": SEED})
    assert from_env.private_bytes_raw() == bytes(range(32))
    key_file = tmp_path / "k.pem"
    key_file.write_bytes(private_pem(from_env))
    from_file = audit_key(sqlite(tmp_path), environ={"HUB_AUDIT_KEY_FILE": str(key_file)})
    assert key_id(from_file.public_key()) == key_id(from_env.public_key())
    assert not (tmp_path / "hub.audit-key.pem").exists()


def test_postgres_needs_a_configured_key_and_garbage_is_refused(tmp_path: Path) -> None:
    postgres = Settings(database_url="postgresql://postgres@127.0.0.1/hub")
    with pytest.raises(SettingsError):
        audit_key(postgres, environ={})
    with pytest.raises(SettingsError):
        audit_key(postgres, environ={"HUB_AUDIT_KEY": "not-base64!"})


def test_signed_checkpoints_verify_and_edits_or_shrinking_do_not() -> None:
    key = Ed25519PrivateKey.generate()
    earlier = sign_checkpoint(key, 10, "aa" * 32)
    later = sign_checkpoint(key, 12, "bb" * 32)
    assert signature_problem(later, key.public_key()) is None
    edited = type(later)(**{**later.to_dict(), "tree_size": 11})
    assert "does not verify" in str(signature_problem(edited, key.public_key()))
    other = Ed25519PrivateKey.generate().public_key()
    assert "signed by key" in str(signature_problem(later, other))
    assert sequence_problem(earlier, later) is None
    assert "shrank" in str(sequence_problem(later, earlier))
