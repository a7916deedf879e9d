"""`hub projections status|rebuild`: where each read model stands, and rebuilding one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from adapters.read_models import Boards, open_boards
from adapters.settings import Settings
from adapters.storage import open_application


@contextmanager
def configured_boards() -> Iterator[Boards]:
    settings = Settings.from_env()
    application = open_application(settings)
    boards = open_boards(settings, application)
    try:
        yield boards
    finally:
        boards.close()
        application.close()


@click.group()
def projections() -> None:
    """The read models (projections) of the event store."""


@projections.command("status")
def status() -> None:
    """Each projection's position, the store's head and the lag between them."""
    with configured_boards() as boards:
        table = Table("projection", "position", "head", "lag")
        for board in boards.all().values():
            s = board.catchup.status()
            table.add_row(s.name, str(s.position), str(s.head), str(s.lag))
    Console().print(table)


@projections.command("rebuild")
@click.argument("name", required=False)
def rebuild(name: str | None) -> None:
    """Rebuild NAME (or every projection) from the first event, with a progress bar."""
    with configured_boards() as boards:
        chosen = boards.all()
        if name is not None:
            if name not in chosen:
                raise click.BadParameter(f"choose from {', '.join(sorted(chosen))}",
                                         param_hint="NAME")
            chosen = {name: chosen[name]}
        for board_name, board in chosen.items():
            columns = (TextColumn(board_name), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn())
            with Progress(*columns) as bar:
                task = bar.add_task(board_name, total=board.catchup.head())

                def show(position: int, head: int, task: TaskID = task, bar: Progress = bar) -> None:
                    bar.update(task, completed=position, total=head)

                applied = board.catchup.rebuild(show)
            click.echo(f"{board_name}: rebuilt, {applied} events applied.")


COMMANDS = [projections]
