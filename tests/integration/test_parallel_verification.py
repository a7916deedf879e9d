"""`hub verify` with worker processes: the workers start without the parent's main module."""

from __future__ import annotations

import multiprocessing
import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from adapters.storage import open_application
from domain.application import HubApplication
from projections.audit.parallel import verify_parallel, worker_env
from projections.audit.verify import verify_store
from tests.referral_world import caller, payload, register_world, submission
from tests.stores import store_settings


def test_workers_do_not_run_the_parents_main_module(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "main-ran-in"
    script = tmp_path / "script.py"
    script.write_text("import os, pathlib\n"
                      "pathlib.Path(os.environ['MAIN_MARKER']).write_text(__name__)\n")
    main = types.ModuleType("__main__")
    main.__file__, main.__spec__ = str(script), None
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setitem(os.environ, "MAIN_MARKER", str(marker))
    with store_settings("sqlite", tmp_path) as settings:
        app = open_application(settings, create_tables=True)
        try:
            assert_parallel_equals_serial(app, referrals=1)
        finally:
            app.close()
    assert not marker.exists(), f"a worker ran the main module as {marker.read_text()}"


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_workers_read_without_creating_tables(kind: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers of a parent opened with table creation on (the bench, `hub db init`) do not
    create tables: on PostgreSQL two at once failed ("tuple concurrently updated")."""
    started_with: list[dict[str, str]] = []
    spawn = multiprocessing.get_context("spawn")

    class Recording:  # the real spawn context; records the workers' environment
        def Pool(self, workers: int, initializer: Any, initargs: tuple[Any, ...]) -> Any:
            started_with.append(initargs[1])
            return spawn.Pool(workers, initializer, initargs)

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: Recording())
    with store_settings(kind, tmp_path) as settings:
        app = open_application(settings, create_tables=True)
        try:
            assert app.env["CREATE_TABLE"] == "y"
            assert_parallel_equals_serial(app, referrals=3)
        finally:
            app.close()
    (env,) = started_with
    assert env == worker_env(app) and env["CREATE_TABLE"] == "n"
    assert [name for name in env if name.endswith("CREATE_TABLE")] == ["CREATE_TABLE"]


def assert_parallel_equals_serial(app: HubApplication, *, referrals: int) -> None:
    """Store `referrals` accepted referrals; two workers (chunks of 2) report as one process."""
    register_world(app, ["ref", "rec"])
    for _ in range(referrals):
        referral, _ = app.submit_referral(caller("ref"), submission())
        app.act_on_referral(caller("rec"), referral.id, "accept", payload("accept"))
    report = verify_parallel(app, [], None, 2, chunk=2, min_events=0)
    assert report.ok and report == verify_store(app, [], None)
