"""Cached bench seeding: the stored events of numbered bench referrals, made once, copied on.

A recipe turns a referral number into an aggregate with pending events (hash-chained by the
domain). The events are turned into stored events by a hub Application's own mapper (same
transcoder, same AES-GCM cipher and key as the target store) and kept in SQLite files under
bench/.cache/seed/, in parts of PART referrals, built by several processes at once. Seeding a
store then inserts those stored events through the store's own recorder (`insert_events`, the
call `Application.save` makes): the rows are byte for byte what `save` would have written,
without paying again for building, hashing and encrypting a million events.

The cache is keyed by the recipe's source, the domain package's source, the eventsourcing
version and a digest of the cipher key, so a change to any of them builds new parts.
Set HUB_BENCH_SEED_CACHE=0 to seed through `Application.save` as before, and
HUB_BENCH_SEED_CACHE_DIR to share one cache between checkouts.
"""

from __future__ import annotations

import hashlib
import inspect
import multiprocessing
import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.application import HubApplication
from domain.base import HubAggregate

Recipe = Callable[[int], HubAggregate]
REPOSITORY = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("HUB_BENCH_SEED_CACHE_DIR") or REPOSITORY / "bench" / ".cache" / "seed")
PART = 10_000  # referrals per cache file
INSERT_CHUNK = 5_000  # stored events per insert_events transaction


def enabled() -> bool:
    return os.environ.get("HUB_BENCH_SEED_CACHE", "1") != "0"


def cache_key(recipe: Recipe, cipher_key: str) -> str:
    """What the cached events depend on: the recipe, the domain code, the library, the key."""
    digest = hashlib.sha256(inspect.getsource(recipe).encode())
    for path in sorted((REPOSITORY / "domain").glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(version("eventsourcing").encode())
    digest.update(f"part={PART}".encode())
    digest.update(hashlib.sha256(cipher_key.encode()).digest())
    return f"{Path(inspect.getfile(recipe)).stem}.{recipe.__name__}-{digest.hexdigest()[:16]}"


def mapper_application(cipher_key: str) -> HubApplication:
    """An in-memory hub Application whose mapper encodes and encrypts like the store's."""
    return HubApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo",
                               "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                               "CIPHER_KEY": cipher_key})


def build_part(recipe: Recipe, cipher_key: str, folder: Path, part: int, size: int) -> None:
    """Write part `part` (referrals part*size … +size-1) of the cache, atomically."""
    target = folder / f"part-{part:05d}.sqlite"
    if target.exists():
        return
    application = mapper_application(cipher_key)
    mapper = application.mapper
    draft = folder / f".part-{part:05d}-{os.getpid()}.sqlite"
    draft.unlink(missing_ok=True)
    with sqlite3.connect(draft) as db:
        db.execute("CREATE TABLE seeded (n INTEGER NOT NULL, originator_id BLOB NOT NULL, "
                   "originator_version INTEGER NOT NULL, topic TEXT NOT NULL, state BLOB NOT NULL)")
        for n in range(part * size, (part + 1) * size):
            aggregate = recipe(n)
            interval = application.snapshotting_intervals.get(type(aggregate), 0)
            if interval and aggregate.version >= interval:  # save would also store a snapshot
                raise ValueError(f"seed cache: a recipe's stream reaches {interval} events")
            rows = [(n, s.originator_id.bytes, s.originator_version, s.topic, s.state)
                    for s in map(mapper.to_stored_event, aggregate.collect_events())]
            db.executemany("INSERT INTO seeded VALUES (?, ?, ?, ?, ?)", rows)
    db.close()
    os.replace(draft, target)


def ensure_parts(recipe: Recipe, cipher_key: str, parts: range) -> Path:
    """The cache folder, with every part in `parts` built (missing ones in parallel)."""
    folder = CACHE / cache_key(recipe, cipher_key)
    folder.mkdir(parents=True, exist_ok=True)
    missing = [p for p in parts if not (folder / f"part-{p:05d}.sqlite").exists()]
    if len(missing) == 1:
        build_part(recipe, cipher_key, folder, missing[0], PART)
    elif missing:
        workers = min(len(missing), os.cpu_count() or 1)
        spawn = multiprocessing.get_context("spawn")  # the parent holds database connections
        with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            jobs = [pool.submit(build_part, recipe, cipher_key, folder, p, PART) for p in missing]
            for job in jobs:
                job.result()
    return folder


def cached_events(folder: Path, first: int, last: int) -> Iterator[list[StoredEvent]]:
    """Stored events of referrals first … last-1, in chunks, in the order they were made."""
    chunk: list[StoredEvent] = []
    for part in range(first // PART, (last - 1) // PART + 1):
        with sqlite3.connect(folder / f"part-{part:05d}.sqlite") as db:
            rows = db.execute("SELECT originator_id, originator_version, topic, state FROM seeded "
                              "WHERE n >= ? AND n < ? ORDER BY rowid", (first, last))
            for originator_id, version, topic, state in rows:
                chunk.append(StoredEvent(UUID(bytes=originator_id), version, topic, state))
                if len(chunk) >= INSERT_CHUNK:
                    yield chunk
                    chunk = []
        db.close()
    if chunk:
        yield chunk


def insert_referrals(app: HubApplication, recipe: Recipe, first: int, count: int,
                     advance: Callable[[int], None]) -> None:
    """Store referrals first … first+count-1 of `recipe` in `app`'s store, from the cache."""
    if count <= 0:
        return
    key = app.env.get("CIPHER_KEY") or ""
    if not key:
        raise ValueError("seed cache: the store has no cipher key; bench stores are encrypted")
    folder = ensure_parts(recipe, key, range(first // PART, (first + count - 1) // PART + 1))
    for chunk in cached_events(folder, first, first + count):
        app.recorder.insert_events(chunk)
        advance(len(chunk))


def main() -> None:
    """Build the cache ahead of a run: `python -m bench.seed_cache --events 1000000`."""
    import argparse

    from bench.audit_data import referral_with_eight_notes
    from bench.projection_rebuild import EVENTS_PER_REFERRAL, referral
    from tests.stores import TEST_CIPHER_KEY

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    events = parser.parse_args().events
    for recipe, per_referral in ((referral, EVENTS_PER_REFERRAL), (referral_with_eight_notes, 10)):
        referrals = (events + 1000) // per_referral  # submit/list_scaling seed 1k events first
        print("building", ensure_parts(recipe, TEST_CIPHER_KEY, range(-(-referrals // PART))))


if __name__ == "__main__":
    main()
