"""The read models over the configured store: built beside the Application, same database."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, IntegrityError
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.utils import Environment

from adapters.settings import Settings
from adapters.storage import store_env
from domain.application import HubApplication
from projections.case_board_reads import CaseBoard
from projections.case_board_views import (
    MemoryCaseBoardView,
    PostgresCaseBoardView,
    SQLiteCaseBoardView,
)
from projections.engine.runner import BackgroundRunner
from projections.referral_board import ReferralBoard
from projections.referral_board_views import (
    MemoryBoardView,
    PostgresBoardView,
    SQLiteBoardView,
)

# A view's own connection pool on PostgreSQL (the Application keeps its own).
VIEW_POOL = {"POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "6"}


@dataclass
class Boards:
    """Every read model, by name; `start()` keeps them current in a background thread."""

    referrals: ReferralBoard
    cases: CaseBoard
    runner: BackgroundRunner | None = field(default=None, repr=False)

    def all(self) -> dict[str, Any]:
        """Each projection by its name (for `hub projections`)."""
        return {board.name: board for board in (self.referrals, self.cases)}

    def start(self, poll_seconds: float = 0.5) -> None:
        """Catch up in a background thread (polling on SQLite, LISTEN on PostgreSQL)."""
        if self.runner is None:
            self.runner = BackgroundRunner([b.catchup for b in self.all().values()], poll_seconds)
            self.runner.start()

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None

    def close(self) -> None:
        """Stop the runner and close the views' connection pools."""
        self.stop()
        for board in self.all().values():
            datastore = getattr(board.view, "datastore", None)
            if datastore is not None:
                datastore.close()


def view_factory(settings: Settings, create_tables: bool) -> InfrastructureFactory[Any]:
    """eventsourcing's factory for the views, named "board" (PostgreSQL: `board_tracking`)."""
    env = {**store_env(settings, create_tables=create_tables), **VIEW_POOL}
    return InfrastructureFactory.construct(Environment("BOARD", env))


def tracked_view(factory: InfrastructureFactory[Any], view_class: type[Any]) -> Any:
    """A view's tracking recorder; creating its tables may race another process or thread.

    eventsourcing's SQLite recorder records a `__migration__` tracking row when it creates its
    table: two creators at once make the second fail with IntegrityError, after which the table
    and the row both exist, so asking again succeeds.
    """
    for attempt in range(5):
        try:
            return factory.tracking_recorder(view_class)
        except IntegrityError:
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def open_boards(settings: Settings, application: HubApplication, *,
                create_tables: bool | None = None) -> Boards:
    """The read models of `application`; tables are created on SQLite (or when asked)."""
    cipher = application.mapper.cipher
    if cipher is None:
        raise ValueError("The read models need the application's cipher (personal data).")
    if isinstance(application.recorder, POPOApplicationRecorder):
        view: Any = MemoryBoardView()
        case_view: Any = MemoryCaseBoardView()
    else:
        create = settings.is_sqlite if create_tables is None else create_tables
        factory = view_factory(settings, create)
        view_class = SQLiteBoardView if settings.is_sqlite else PostgresBoardView
        view = tracked_view(factory, view_class)
        case_class = SQLiteCaseBoardView if settings.is_sqlite else PostgresCaseBoardView
        case_view = tracked_view(factory, case_class)
    return Boards(referrals=ReferralBoard(view, application, cipher),
                  cases=CaseBoard(case_view, application, cipher))
