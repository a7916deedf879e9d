"""`hub db init`: create the event store's tables and every read model's, once."""

from __future__ import annotations

import click

from adapters.read_models import open_boards
from adapters.settings import Settings
from adapters.stats import create_audit_tables
from adapters.storage import open_application


@click.group()
def db() -> None:
    """The hub's database."""


@db.command("init")
def init() -> None:
    """Create the event store and read-model tables and indexes (run once, before workers)."""
    settings = Settings.from_env()
    application = open_application(settings, create_tables=True)
    try:
        boards = open_boards(settings, application, create_tables=True)
        boards.close()
        create_audit_tables(settings, application)
    finally:
        application.close()
    names = ", ".join(sorted(boards.all()))
    click.echo(f"Database ready: event store and read models ({names}).")


COMMANDS = [db]
