"""A self-contained audit bundle: events as stored, their hashed content, checkpoints, key.

The stored state is AES-encrypted and the verifier has no cipher key, so each event also
carries the canonical content its chain hash covers (personal fields only as salted digests):
the chains, the Merkle roots and the signed checkpoints are all recomputed offline.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import Application

from domain.chain import canonical_json, format_time
from domain.verification import Link, content_problem
from projections.audit.canonical import fast_canonical, plain_canonical
from projections.audit.check import UNREADABLE_LEAF, Checked, EventChecker, checked
from projections.audit.checkpoint import Checkpoint, key_id, load_public_key, public_pem
from projections.audit.log import BATCH, Decoder, Unreadable, batches, leaf_of
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


def _line_bytes(checker: EventChecker, row: tuple[int, str, int, str, bytes]) -> bytes:
    """`canonical_json(_line(...))`, with the content's bytes from the fast path when it can."""
    found = checker.content(row)
    if found is not None:
        body, prev_hash, hash = found
        position, stream_id, version, topic, stored = row
        written = plain_canonical({
            "position": position, "stream_id": stream_id, "version": version, "topic": topic,
            "state": base64.b64encode(stored).decode(), "content": orjson.Fragment(body),
            "prev_hash": prev_hash, "hash": hash})
        if written is not None:
            return written
    return canonical_json(_line(checker.decoder, row))


def export_bundle(app: Application, out: Path, checkpoints: list[Checkpoint],
                  public_key: Ed25519PublicKey, now: datetime,
                  progress: Progress | None = None) -> dict[str, Any]:
    """Write the bundle into `out`; returns its manifest."""
    out.mkdir(parents=True, exist_ok=True)
    checker, count, last = EventChecker(Decoder(app)), 0, 0
    with (out / EVENTS).open("wb") as handle:
        for found in batches(app):
            handle.write(b"".join(_line_bytes(checker, row) + b"\n" for row in found))
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


def _checked_lines(path: Path) -> Iterator[Checked]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                yield _fast_line(line) or _line_by_definition(number, line)
            except RecursionError:  # the parsers' and the hashing's limit on nesting
                yield _unreadable(-number, f"line {number} of {EVENTS} nests too deeply")


def _fast_line(line: bytes) -> Checked | None:
    """The check of a usual bundle line (orjson, exact types, no float), or None."""
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(item) is not dict or "unreadable" in item:
        return None
    position, stream_id, version = item.get("position"), item.get("stream_id"), item.get("version")
    content, prev_hash, hash = item.get("content"), item.get("prev_hash"), item.get("hash")
    if not (type(position) is int and type(stream_id) is str and type(version) is int
            and type(content) is dict and type(prev_hash) is str and type(hash) is str
            and content.get("stream_id") == stream_id and content.get("version") == version):
        return None
    body = fast_canonical(content)
    return None if body is None else checked(position, stream_id, version, body, prev_hash, hash)


def _line_by_definition(number: int, line: bytes) -> Checked:
    try:
        item = json.loads(line)
        position = int(item["position"])
        if "unreadable" in item:
            return _unreadable(position, f"exported unreadable: {item['unreadable']}")
        link = Link(position, str(item["stream_id"]), int(item["version"]), item["content"],
                    str(item["prev_hash"]), str(item["hash"]))
        if not isinstance(link.content, dict):
            raise TypeError("content is not an object")
    except (ValueError, KeyError, TypeError):
        return _unreadable(-number, f"line {number} of {EVENTS} is not a bundle event")
    return (link.position, link.stream_id, link.version, link.prev_hash, link.hash,
            content_problem(link), leaf_of(link))


def _unreadable(position: int, problem: str) -> Checked:
    return position, "", 0, None, "", f"position {position}: {problem}", UNREADABLE_LEAF


def verify_bundle(folder: Path, public_key: Ed25519PublicKey,
                  progress: Callable[[int], None] | None = None) -> Report:
    """Check a bundle offline: chains, Merkle roots, checkpoint signatures and order."""
    problems: list[str] = []
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        listed = json.loads((folder / CHECKPOINTS).read_text())
        if not isinstance(manifest, dict) or not isinstance(listed, list):
            raise TypeError(f"{MANIFEST} must hold an object and {CHECKPOINTS} a list")
        checkpoints = [Checkpoint.from_dict(c) for c in listed]
        bundled_key = load_public_key((folder / PUBLIC_KEY).read_text())
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        return Report(breaks=[f"not a readable bundle: {type(error).__name__}: {error}"[:500]])
    if key_id(bundled_key) != key_id(public_key):
        problems.append("the bundle's public key is not the key given for verification")
    verifier = LogVerifier(checkpoints, public_key)
    verifier.report.breaks[:0] = problems
    lines = _checked_lines(folder / EVENTS)
    while batch := list(itertools.islice(lines, BATCH)):
        verifier.add_batch(batch)
        if progress:
            progress(len(batch))
    report = verifier.finish()
    if manifest.get("events") != report.tree_size:
        report.breaks.append(f"the manifest lists {manifest.get('events')} events, "
                             f"the bundle holds {report.tree_size}")
    return report
