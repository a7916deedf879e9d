"""`hub sla sweep`: escalate every overdue referral once."""

from __future__ import annotations

import click

from adapters.read_models import open_boards
from adapters.settings import Settings
from adapters.sla import sweep
from adapters.storage import open_application
from domain.application import utc_now


@click.group()
def sla() -> None:
    """Service-level deadlines of referrals."""


@sla.command("sweep")
def sweep_command() -> None:
    """Append `referral.escalated` to each overdue referral not yet escalated; print how many."""
    settings = Settings.from_env()
    application = open_application(settings)
    boards = open_boards(settings, application)
    try:
        count = sweep(application, boards.referrals, utc_now())
    finally:
        boards.close()
        application.close()
    click.echo(f"Escalated {count} overdue referral(s).")


COMMANDS = [sla]
