"""`hub demo`: fill a fresh store with a fictional workstation year and print everyone's tokens."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from adapters.settings import Settings
from adapters.storage import open_application
from domain.application import HubApplication
from hub.cli.demo_cast import AGENCIES, USERS, hub_admin
from hub.cli.demo_year import DemoClock, Year

YEAR = timedelta(days=365)
TABLE_WIDTH = 110  # wide enough for whole tokens; a narrow terminal wraps, never truncates


def store_has_events(application: HubApplication) -> bool:
    return bool(application.recorder.max_notification_id())  # type: ignore[attr-defined]


def register(application: HubApplication) -> list[dict[str, str]]:
    """Register the district's agencies (those not yet registered) and issue demo tokens."""
    admin, tokens = hub_admin(), []
    for slug, (name, kind, jurisdiction) in AGENCIES.items():
        if not application.agency_exists(slug):
            application.register_agency(admin, id=slug, name=name, kind=kind,
                                        jurisdiction=jurisdiction)
        role = "inspector" if slug == "demo-inspection" else "admin"
        user = USERS.get(slug, ["inspector"])[0]
        token = application.issue_token(admin, agency=slug, user=user, role=role)
        tokens.append({"agency": slug, "name": name, "user": user, "role": role, "token": token})
    return tokens


def token_table(tokens: list[dict[str, str]]) -> Table:
    table = Table(title="Demo tokens (Authorization: Bearer <token>)")
    for column in ("agency", "user", "role", "token"):
        table.add_column(column, no_wrap=True)
    for row in tokens:
        table.add_row(row["agency"], row["user"], row["role"], row["token"])
    return table


@click.command("demo")
@click.option("--seed", default=7, show_default=True, help="Seed of the year's randomness.")
@click.option("--force", is_flag=True, help="Add the demo to a store that already has events.")
@click.option("--tokens-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the tokens to this JSON file.")
def demo(seed: int, force: bool, tokens_json: Path | None) -> None:
    """Fill the configured store with a fictional 七位一体 workstation year (示例区)."""
    settings = Settings.from_env()
    end = datetime.now(UTC)
    clock = DemoClock(end - YEAR - timedelta(days=1))
    application = open_application(settings, create_tables=True, clock=clock)
    console = Console()
    try:
        if store_has_events(application) and not force:
            raise click.ClickException(
                "The store already has events; use a fresh HUB_DATABASE_URL or pass --force.")
        tokens = register(application)
        year = Year(application, random.Random(seed), end - YEAR, end)
        year.plan()
        with Progress(console=console, transient=False) as progress:
            task = progress.add_task("Living through the year", total=len(year.steps))
            year.play(clock, lambda: progress.advance(task))
    finally:
        application.close()
    console.print(token_table(tokens), width=max(console.width, TABLE_WIDTH))
    for name, count in sorted(year.tally.items()):
        console.print(f"  {name}: {count}")
    if tokens_json is not None:
        tokens_json.write_text(json.dumps(tokens, ensure_ascii=False, indent=2))
    console.print("Try: curl -H 'Authorization: Bearer <demo-workstation token>' "
                  "http://127.0.0.1:8000/api/v1/cases/summary")


COMMANDS = [demo]
