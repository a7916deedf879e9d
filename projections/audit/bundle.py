"""A self-contained audit bundle: events as stored, their hashed content, checkpoints, key.

The stored state is AES-encrypted and the verifier has no cipher key, so each event also
carries the canonical content its chain hash covers (personal fields only as salted digests):
the chains, the Merkle roots and the signed checkpoints are all recomputed offline.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import Application

from domain.chain import canonical_json, format_time
from domain.verification import Link
from projections.audit.checkpoint import Checkpoint, key_id, load_public_key, public_pem
from projections.audit.log import Decoder, Unreadable, batches
from projections.audit.verify import LogVerifier, Progress, Report

FORMAT = "referral-hub-audit-bundle/1"
EVENTS, CHECKPOINTS, MANIFEST, PUBLIC_KEY = (
    "events.jsonl", "checkpoints.json", "manifest.json", "public-key.pem")


def _line(decoder: Decoder, row: tuple[int, str, int, str, bytes]) -> dict[str, Any]:
    position, stream_id, version, topic, stored = row
    record: dict[str, Any] = {"position": position, "stream_id": stream_id, "version": version,
                              "topic": topic, "state": base64.b64encode(stored).decode()}
    try:
        link = decoder.link(row)
    except Unreadable as error:
        return {**record, "unreadable": str(error)}
    return {**record, "content": link.content, "prev_hash": link.prev_hash, "hash": link.hash}


def export_bundle(app: Application, out: Path, checkpoints: list[Checkpoint],
                  public_key: Ed25519PublicKey, now: datetime,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Write the bundle into `out`; returns its manifest."""
    out.mkdir(parents=True, exist_ok=True)
    decoder, count, last = Decoder(app), 0, 0
    with (out / EVENTS).open("wb") as handle:
        for found in batches(app):
            handle.write(b"".join(canonical_json(_line(decoder, row)) + b"\n" for row in found))
            count, last = count + len(found), found[-1][0]
            if progress:
                progress(len(found))
    (out / CHECKPOINTS).write_text(json.dumps([c.to_dict() for c in checkpoints], indent=1))
    (out / PUBLIC_KEY).write_text(public_pem(public_key))
    manifest = {"format": FORMAT, "exported_at": format_time(now), "events": count,
                "last_position": last, "key_id": key_id(public_key),
                "checkpoints": len(checkpoints)}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def _links(path: Path) -> Iterator[tuple[int, Link | str]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                item = json.loads(line)
                if "unreadable" in item:
                    yield int(item["position"]), f"exported unreadable: {item['unreadable']}"
                    continue
                yield int(item["position"]), Link(
                    int(item["position"]), str(item["stream_id"]), int(item["version"]),
                    item["content"], str(item["prev_hash"]), str(item["hash"]))
            except (ValueError, KeyError, TypeError):
                yield -number, f"line {number} of {EVENTS} is not a bundle event"


def verify_bundle(folder: Path, public_key: Ed25519PublicKey,
                  progress: Callable[[int], None] | None = None) -> Report:
    """Check a bundle offline: chains, Merkle roots, checkpoint signatures and order."""
    problems: list[str] = []
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        checkpoints = [Checkpoint.from_dict(c)
                       for c in json.loads((folder / CHECKPOINTS).read_text())]
        bundled_key = load_public_key((folder / PUBLIC_KEY).read_text())
    except (OSError, ValueError, KeyError, TypeError) as error:
        return Report(breaks=[f"not a readable bundle: {error}"])
    if key_id(bundled_key) != key_id(public_key):
        problems.append("the bundle's public key is not the key given for verification")
    verifier = LogVerifier(checkpoints, public_key)
    verifier.report.breaks[:0] = problems
    for done, (position, link) in enumerate(_links(folder / EVENTS), start=1):
        if isinstance(link, str):
            verifier.unreadable(position, link)
        else:
            verifier.add(link)
        if progress and done % 10_000 == 0:
            progress(10_000)
    report = verifier.finish()
    if manifest.get("events") != report.tree_size:
        report.breaks.append(f"the manifest lists {manifest.get('events')} events, "
                             f"the bundle holds {report.tree_size}")
    return report
