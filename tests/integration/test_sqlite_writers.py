"""SQLite writers queue on the store's lock file: across threads' datastores, and across a fork."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from adapters.settings import Settings
from adapters.sqlite_store import QueuedWritersDatastore
from adapters.storage import open_application
from domain.application import HubApplication
from domain.base import Caller
from domain.referral import Referral
from tests.conftest import HUB_ADMIN
from tests.stores import TEST_CIPHER_KEY

WAIT = 0.5  # seconds a blocked writer is given to (wrongly) get through


def _referral(app: HubApplication) -> Referral:
    sender = Caller(agency="sender", user="u", role="staff", jurisdiction="hubei/sender")
    return Referral.submit(id=uuid.uuid4(), caller=sender, at=app.clock(),
                           to_agency="receiver", category="family_education_guidance",
                           urgency="routine", reason="queued", subject={"name": "Lock Test"},
                           consent={"basis": "guardian_consent"})


def _open(tmp_path: Path) -> HubApplication:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                        cipher_key=TEST_CIPHER_KEY)
    app = open_application(settings, create_tables=True)
    for slug in ("sender", "receiver"):
        app.register_agency(HUB_ADMIN, id=slug, name=slug, kind="other",
                            jurisdiction=f"hubei/{slug}")
    return app


def test_the_store_uses_the_queued_writers_datastore(tmp_path: Path) -> None:
    app = _open(tmp_path)
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    assert isinstance(datastore, QueuedWritersDatastore)
    assert datastore.lock_path == f"{tmp_path / 'hub.sqlite'}.write-lock"


def test_a_write_waits_while_another_holder_has_the_lock(tmp_path: Path) -> None:
    app = _open(tmp_path)
    referral = _referral(app)
    holder = os.open(f"{tmp_path / 'hub.sqlite'}.write-lock", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as another process's writer would
    writer = threading.Thread(target=app.save, args=(referral,))
    writer.start()
    writer.join(WAIT)
    assert writer.is_alive(), "the write did not wait for the lock file"
    fcntl.flock(holder, fcntl.LOCK_UN)
    writer.join(30)
    assert not writer.is_alive()
    assert app.repository.get(referral.id).version == 1
    os.close(holder)


def test_reads_do_not_wait_for_the_lock(tmp_path: Path) -> None:
    app = _open(tmp_path)
    referral = _referral(app)
    app.save(referral)
    holder = os.open(f"{tmp_path / 'hub.sqlite'}.write-lock", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        assert app.repository.get(referral.id).version == 1
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)


def _hold_lock_in_child(datastore: QueuedWritersDatastore, locked: Any, release: Any) -> None:
    with datastore.get_connection(commit=True):
        locked.set()
        release.wait(30)


def test_a_forked_child_queues_against_its_parent(tmp_path: Path) -> None:
    """flock belongs to an open file: a child that kept its parent's descriptor would share the
    parent's lock instead of waiting for it."""
    app = _open(tmp_path)
    app.save(_referral(app))  # the parent has opened its descriptor of the lock file
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    context = multiprocessing.get_context("fork")
    locked, release = context.Event(), context.Event()
    child = context.Process(target=_hold_lock_in_child, args=(datastore, locked, release))
    child.start()
    try:
        assert locked.wait(30)
        writer = threading.Thread(target=app.save, args=(_referral(app),))
        writer.start()
        writer.join(WAIT)
        assert writer.is_alive(), "the parent wrote while its child held the lock"
        release.set()
        writer.join(30)
        assert not writer.is_alive()
    finally:
        release.set()
        child.join(30)
    assert child.exitcode == 0
