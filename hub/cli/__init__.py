"""The `hub` command: one group, subcommands from the modules listed below."""

from __future__ import annotations

import importlib

import click

# Modules of hub.cli whose COMMANDS (a list of click commands/groups) join `hub`.
COMMAND_MODULES: list[str] = ["serve", "admin", "db", "projections", "sla", "kafka", "demo", "audit"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Referral Hub (转介枢纽): referrals and cases between public agencies."""


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(f"hub.cli.{_name}").COMMANDS:
        main.add_command(_command)
