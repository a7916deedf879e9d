"""Stream reads of one statement (adapters.sqlite_store.SingleStatementReadsRecorder) give the
library's rows for every argument, and the library's errors."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from adapters.settings import Settings
from adapters.sqlite_store import SingleStatementReadsRecorder
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
