"""Several threads opening the same read model on a fresh store at once all succeed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from adapters.stats import open_stats
from adapters.storage import open_application
from domain.base import Caller
from tests.stores import store_settings

HUB_ADMIN = Caller(agency="hub", user="hub-admin", role="hub_admin")


def test_read_models_opened_together_on_a_fresh_sqlite_store_all_work(tmp_path: Path) -> None:
    with store_settings("sqlite", tmp_path) as settings:
        app = open_application(settings)
        app.register_agency(HUB_ADMIN, id="civil-affairs", name="民政局", kind="civil_affairs",
                            jurisdiction="hubei/jingmen")
        failures: list[BaseException] = []
        start = threading.Barrier(6)

        def open_and_read() -> None:
            start.wait()
            try:
                model: Any = open_stats(settings, app)
                model.catch_up()
                model.summary("month")
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)

        threads = [threading.Thread(target=open_and_read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        app.close()
    assert failures == []
