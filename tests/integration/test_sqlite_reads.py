"""Stream reads of one statement (adapters.sqlite_store.SingleStatementReadsRecorder) give the
library's rows for every argument, and the library's errors; pooled connections keep their
prepared statements."""

from __future__ import annotations

import itertools
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.settings import Settings
from adapters.sqlite_store import QueuedWritersDatastore, SingleStatementReadsRecorder
from adapters.storage import open_application
from tests.stores import TEST_CIPHER_KEY


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[SingleStatementReadsRecorder]:
    app = open_application(Settings(database_url=f"sqlite:///{tmp_path / 'hub.sqlite'}",
                                    cipher_key=TEST_CIPHER_KEY), create_tables=True)
    assert isinstance(app.recorder, SingleStatementReadsRecorder)
    yield app.recorder  # the application owns the connections: kept alive till the end
    app.close()


def test_every_argument_reads_the_rows_the_library_reads(
        recorder: SingleStatementReadsRecorder) -> None:
    streams = [uuid.uuid4() for _ in range(3)]
    recorder.insert_events([StoredEvent(originator_id=stream, originator_version=version,
                                        topic=f"topic:{version}", state=bytes([version, 0, 255]))
                            for version in range(1, 8) for stream in streams])
    library = SQLiteApplicationRecorder.select_events
    tried = 0
    for stream, gt, lte, desc, limit in itertools.product(
            [streams[1], streams[1].hex, uuid.uuid4()], [None, 0, 3, 7], [None, 2, 5, 9],
            [False, True], [None, 1, 3]):
        arguments = {"gt": gt, "lte": lte, "desc": desc, "limit": limit}
        ours = recorder.select_events(stream, **arguments)
        assert ours == library(recorder, stream, **arguments), arguments
        tried += bool(ours)
    assert tried > 100  # most combinations found rows: the comparison compared something


def test_a_failing_read_raises_the_library_error(recorder: SingleStatementReadsRecorder) -> None:
    with recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DROP TABLE {recorder.events_table_name}")
    with pytest.raises(OperationalError, match="no such table"):
        SQLiteApplicationRecorder.select_events(recorder, uuid.uuid4())
    with pytest.raises(OperationalError, match="no such table"):
        recorder.select_events(uuid.uuid4())


def test_pooled_connections_keep_their_prepared_statements(tmp_path: Path) -> None:
    """A read and an insert on one connection are compiled once, not on every turn (the
    library's pool opens connections with a statement cache of one)."""
    datastore = QueuedWritersDatastore(str(tmp_path / "hub.sqlite"), pool_size=1, max_overflow=0)
    recorder = SingleStatementReadsRecorder(datastore)
    recorder.create_table()
    with datastore.get_connection(commit=False) as connection:
        raw = connection.cursor().sqlite_cursor.connection  # the pool's only connection
    compiled: list[int] = []  # `commit()` compiles its COMMIT every time: not counted

    def authorize(action: int, *_: object) -> int:
        if action != sqlite3.SQLITE_TRANSACTION:
            compiled.append(action)
        return sqlite3.SQLITE_OK

    raw.set_authorizer(authorize)
    stream, per_turn = uuid.uuid4(), []
    for version in range(1, 6):
        before = len(compiled)
        recorder.select_events(stream, gt=version, limit=1)  # as a token's revocation check
        recorder.insert_events([StoredEvent(originator_id=stream, originator_version=version,
                                            topic="t", state=b"x")])
        per_turn.append(len(compiled) - before)
    datastore.close()
    assert per_turn[0] > 0  # the authorizer is asked when a statement is compiled
    assert per_turn[1:] == [0, 0, 0, 0], per_turn
