"""The `hub` command: one group, subcommands from the modules listed below."""

from __future__ import annotations

import importlib
from typing import Any

import click

from adapters.settings import SettingsError
from domain.chain import not_unicode

# Modules of hub.cli whose COMMANDS (a list of click commands/groups) join `hub`.
COMMAND_MODULES: list[str] = ["serve", "admin", "db", "projections", "sla", "kafka", "demo", "audit"]


class ConfigurationError(click.ClickException):
    """A setting is missing or wrong: "Error: <what to set>", exit status 2 (1 stays "a break
    was found" for `hub verify`)."""

    exit_code = 2


class HubGroup(click.Group):
    """`hub`: arguments must be UTF-8 text (Python hands undecodable argv bytes on as unpaired
    surrogates, which no event can hash or store: that was a traceback); a setting at fault
    (PostgreSQL without HUB_CIPHER_KEY or HUB_AUDIT_KEY, say) is one line naming it, not a
    traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as error:
            raise ConfigurationError(str(error)) from None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:
            if not_unicode(arg):
                shown = arg.encode("utf-8", "surrogateescape")
                raise click.UsageError(f"The argument {shown!r} is not UTF-8 text.", ctx)
        return super().parse_args(ctx, args)


@click.group(cls=HubGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Referral Hub (转介枢纽): referrals and cases between public agencies."""


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(f"hub.cli.{_name}").COMMANDS:
        main.add_command(_command)
