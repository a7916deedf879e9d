"""The `hub` command: one group, subcommands from the modules listed below."""

from __future__ import annotations

import importlib

import click

from domain.chain import not_unicode

# Modules of hub.cli whose COMMANDS (a list of click commands/groups) join `hub`.
COMMAND_MODULES: list[str] = ["serve", "admin", "db", "projections", "sla", "kafka", "demo", "audit"]


class HubGroup(click.Group):
    """`hub`: arguments must be UTF-8 text (Python hands undecodable argv bytes on as unpaired
    surrogates, which no event can hash or store: that was a traceback)."""

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
