"""The statistics read model over the configured store (its own tracking, same database)."""

from __future__ import annotations

from typing import Any

from eventsourcing.popo import POPOApplicationRecorder

from adapters.checkpoints import checkpoint_store
from adapters.read_models import tracked_view, view_factory
from adapters.settings import Settings
from domain.application import HubApplication
from projections.stats import MemoryStatsView, PostgresStatsView, SQLiteStatsView, Stats


def open_stats(settings: Settings, application: HubApplication, *,
               create_tables: bool | None = None) -> Stats:
    """The statistics of `application`; tables are created on SQLite (or when asked)."""
    if isinstance(application.recorder, POPOApplicationRecorder):
        return Stats(MemoryStatsView(), application)
    create = settings.is_sqlite if create_tables is None else create_tables
    view_class: Any = SQLiteStatsView if settings.is_sqlite else PostgresStatsView
    view = tracked_view(view_factory(settings, create), view_class)
    return Stats(view, application)


def create_audit_tables(settings: Settings, application: HubApplication) -> None:
    """Create the statistics view's and the checkpoints' tables (`hub db init`)."""
    stats = open_stats(settings, application, create_tables=True)
    datastore = getattr(stats.view, "datastore", None)
    if datastore is not None:
        datastore.close()
    checkpoint_store(application).all()  # creates hub_audit_checkpoints if missing
