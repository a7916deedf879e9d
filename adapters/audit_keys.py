"""The hub's Ed25519 audit key: from HUB_AUDIT_KEY / HUB_AUDIT_KEY_FILE, or generated once
beside the SQLite file (mode 0600); it signs the Merkle log's checkpoints."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from dotenv import dotenv_values

from adapters.settings import Settings, SettingsError
from domain.chain import format_time
from projections.audit.checkpoint import Checkpoint, key_id

KEY_FILE_SUFFIX = ".audit-key.pem"


def parse_private_key(text: str | bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PKCS#8 PEM or base64 of its 32-byte seed."""
    data = text.encode() if isinstance(text, str) else text
    if b"BEGIN" in data:
        key = load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SettingsError("The audit key is not an Ed25519 key.")
        return key
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(data.strip(), validate=True))
    except ValueError:
        raise SettingsError("HUB_AUDIT_KEY is neither PEM nor base64 of 32 bytes.") from None


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _environment(environ: Mapping[str, str] | None) -> dict[str, str]:
    values = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return {**values, **(os.environ if environ is None else environ)}


def audit_key(settings: Settings, environ: Mapping[str, str] | None = None) -> Ed25519PrivateKey:
    """The audit key: HUB_AUDIT_KEY, HUB_AUDIT_KEY_FILE, or (SQLite) a file beside the DB."""
    env = _environment(environ)
    if env.get("HUB_AUDIT_KEY"):
        return parse_private_key(env["HUB_AUDIT_KEY"])
    if env.get("HUB_AUDIT_KEY_FILE"):
        return parse_private_key(Path(env["HUB_AUDIT_KEY_FILE"]).read_bytes())
    if not settings.is_sqlite:
        raise SettingsError("Set HUB_AUDIT_KEY or HUB_AUDIT_KEY_FILE when the store is PostgreSQL.")
    return _key_beside(settings.sqlite_path.with_suffix(KEY_FILE_SUFFIX))


def _key_beside(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        return parse_private_key(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    try:  # O_EXCL: when two processes race, one writes and both read the same key
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return parse_private_key(path.read_bytes())
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem(key))
    return key


def sign_checkpoint(key: Ed25519PrivateKey, tree_size: int, root: str,
                    at: datetime | None = None) -> Checkpoint:
    """A checkpoint of the log's first `tree_size` events, signed now (or at `at`)."""
    time = format_time(at or datetime.now(UTC))
    kid = key_id(key.public_key())
    signature = key.sign(Checkpoint.message(tree_size, root, time, kid))
    return Checkpoint(tree_size=tree_size, root=root, time=time, key_id=kid,
                      signature=base64.b64encode(signature).decode())
