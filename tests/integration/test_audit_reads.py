"""The audit log reads a SQL store's events table directly (projections/audit/log.py
`_raw_select`), not through the recorder's `select_notifications`, which builds a UUID and a
Notification per row and took a third of `hub verify`'s time; the rows are the recorder's.

The hub's SQLite recorder is a subclass of the library's (adapters/sqlite_store.py): when it
was introduced, a check by exact class module sent every SQLite read back to the slow path
(hub verify over 1M events: 4.3 s of raw read instead of 3.1 s) and no test noticed."""

from __future__ import annotations

from domain.application import HubApplication
from projections.audit.log import _raw_select, _recorder_select, batches, library_store
from tests.referral_world import caller, payload, submission


def test_the_hubs_stores_are_read_by_plain_sql_with_the_recorders_rows(
        app: HubApplication, store_kind: str) -> None:
    for _ in range(3):
        referral, _ = app.submit_referral(caller("ref"), submission())
        app.act_on_referral(caller("rec"), referral.id, "accept", payload("accept"))
    raw = _raw_select(app)
    if store_kind == "memory":
        assert raw is None and library_store(app.recorder) is None
        return
    assert raw is not None and library_store(app.recorder) == store_kind
    head = app.recorder.max_notification_id() or 0
    assert head > 6
    library = _recorder_select(app)
    for after, limit, stop in ((0, 1000, None), (0, 3, None), (2, 4, None), (1, 1000, head - 2)):
        assert raw(after, limit, stop) == library(after, limit, stop)
    assert [row for found in batches(app, batch=2) for row in found] == library(0, 1000, None)
