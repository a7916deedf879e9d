"""Signed checkpoints of the Merkle log: {tree_size, root, time, key_id, signature}."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

ORIGIN = "referral-hub audit log v1"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the log's first `tree_size` events have Merkle root `root`."""

    tree_size: int
    root: str
    time: str
    key_id: str
    signature: str

    @staticmethod
    def message(tree_size: int, root: str, time: str, key_id: str) -> bytes:
        """The bytes the audit key signs."""
        return f"{ORIGIN}\n{tree_size}\n{root}\n{time}\n{key_id}\n".encode()

    def signed_bytes(self) -> bytes:
        return self.message(self.tree_size, self.root, self.time, self.key_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        return cls(tree_size=int(data["tree_size"]), root=str(data["root"]),
                   time=str(data["time"]), key_id=str(data["key_id"]),
                   signature=str(data["signature"]))


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    return hashlib.sha256(raw_public(public_key)).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """A public key from PEM, or from base64 of its 32 raw bytes; ValueError otherwise."""
    data = text.encode() if isinstance(text, str) else text
    if b"BEGIN PUBLIC KEY" in data:
        key = load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("The public key is not an Ed25519 key.")
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))
    except ValueError:
        raise ValueError("Not an Ed25519 public key (PEM, or base64 of 32 bytes).") from None


def signature_problem(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> str | None:
    """Why the checkpoint's signature does not hold, or None when it does."""
    where = f"checkpoint at tree size {checkpoint.tree_size}"
    if checkpoint.key_id != key_id(public_key):
        return f"{where}: signed by key {checkpoint.key_id}, not by {key_id(public_key)}"
    try:
        public_key.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_bytes())
    except (InvalidSignature, ValueError):
        return f"{where}: the signature does not verify (edited checkpoint?)"
    return None


def sequence_problem(earlier: Checkpoint, later: Checkpoint) -> str | None:
    """Why two successive checkpoints cannot both be true of one append-only log."""
    if later.tree_size < earlier.tree_size:
        return (f"checkpoint at tree size {later.tree_size} follows one at "
                f"{earlier.tree_size}: the log shrank")
    if later.time < earlier.time:
        return f"checkpoint at tree size {later.tree_size} is dated before its predecessor"
    if later.tree_size == earlier.tree_size and later.root != earlier.root:
        return f"two checkpoints at tree size {later.tree_size} disagree on the root"
    return None
