"""The boards' page queries on PostgreSQL never take a parallel plan (worker start-up costs
tens of milliseconds around a page's fraction of a millisecond of work)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.read_models import Boards, open_boards
from adapters.storage import open_application
from domain.application import HubApplication
from domain.chain import format_time
from projections.referral_board_query import PageQuery, to_sql
from tests.referral_world import caller, register_world, submission
from tests.stores import store_settings

pytestmark = pytest.mark.postgres

# Planner settings under which even a small table gets a parallel plan when one is allowed.
EAGER_PARALLEL = ("SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0",
                  "SET min_parallel_table_scan_size = 0", "SET min_parallel_index_scan_size = 0")


@pytest.fixture
def boards(tmp_path: Path) -> Iterator[tuple[HubApplication, Boards]]:
    with store_settings("postgres", tmp_path) as settings:
        app = open_application(settings, create_tables=True)
        boards = open_boards(settings, app, create_tables=True)
        try:
            register_world(app)
            for _ in range(30):
                app.submit_referral(caller("ref"), submission())
            boards.referrals.catch_up()
            yield app, boards
        finally:
            boards.close()
            app.close()


def plan(boards: Boards, query: PageQuery) -> str:
    statement, params = to_sql(query)
    with boards.referrals.view.reading() as txn:
        for setting in EAGER_PARALLEL:
            txn.run(setting)
        rows = txn.rows("EXPLAIN " + statement, params)
    return "\n".join(str(v) for row in rows for v in row.values())


def test_an_inspectors_page_is_planned_without_workers(
        boards: tuple[HubApplication, Boards]) -> None:
    _, both = boards
    now = format_time(datetime.now(UTC))
    for query in (PageQuery(box="all", now=now, limit=25, jurisdiction="hubei"),
                  PageQuery(box="inbox", now=now, limit=25, agency="rec")):
        assert "Gather" not in plan(both, query)
