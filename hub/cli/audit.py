"""`hub verify`, `hub replay`, `hub audit checkpoint|export|verify-bundle|public-key`."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.auditor import AuditBreak, auditor_for
from adapters.settings import Settings
from adapters.stats import open_stats
from adapters.storage import open_application
from domain.errors import HubError
from projections.audit.bundle import export_bundle, verify_bundle
from projections.audit.checkpoint import load_public_key
from projections.audit.log import log_size
from projections.audit.replay import replay_stream
from projections.audit.verify import Report
from projections.stats import GROUPS
from projections.stats_plot import render

console = Console(stderr=True)


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _print_report(report: Report, what: str) -> None:
    data = report.to_dict()
    console.print(f"[bold]{what}[/]: {data['events_checked']} events in "
                  f"{data['streams_checked']} streams; Merkle tree of {data['tree_size']} "
                  f"(root {data['root'][:16]}…); {data['checkpoints_checked']} signed checkpoints")
    if report.ok:
        console.print("[green]ok[/]: every chain, root and checkpoint verifies")
    else:
        console.print(f"[red]BROKEN[/] ({data['breaks']} problems); first: {report.first_break}")
    click.echo(json.dumps(data, ensure_ascii=False))


@click.command("verify")
@click.option("--workers", default=min(os.cpu_count() or 1, 8), show_default="the cores, ≤ 8",
              type=click.IntRange(min=1),
              help="Processes decrypting and hashing (used from 200,000 events on; on a quiet "
                   "2-core machine 2 verified 1M events 1.55x faster than 1, see docs/audit.md).")
def verify(workers: int) -> None:
    """Check every stream's hash chain, the Merkle root and every signed checkpoint."""
    settings = Settings.from_env()
    app = open_application(settings)
    auditor = auditor_for(app, settings)
    with _bar() as bar:
        task = bar.add_task("verifying events", total=log_size(app))
        report = auditor.verify(lambda n: bar.advance(task, n), workers)
    _print_report(report, "hub verify")
    sys.exit(0 if report.ok else 1)


@click.command("replay")
@click.argument("stream_id")
@click.option("--as-of", "as_of", help="ISO 8601 time: the state as it stood then.")
@click.option("--version", "version", type=click.IntRange(min=1), help="The state at version N.")
def replay(stream_id: str, as_of: str | None, version: int | None) -> None:
    """Print a stream's state and its events up to a moment or version."""
    if as_of and version:
        raise click.UsageError("Give --as-of or --version, not both.")
    moment = _parse_time(as_of) if as_of else None
    app = open_application(Settings.from_env())
    try:
        result = replay_stream(app, stream_id, as_of=moment, version=version)
    except HubError as error:
        raise click.ClickException(error.detail) from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=1, default=str))


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time.",
                                 param_hint="--as-of") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group("audit")
def audit() -> None:
    """The global Merkle log: checkpoints, bundles, the public key."""


@audit.command("checkpoint")
def checkpoint() -> None:
    """Verify the log and sign a checkpoint of it with the hub's audit key."""
    settings = Settings.from_env()
    auditor = auditor_for(open_application(settings), settings)
    try:
        signed = auditor.checkpoint()
    except AuditBreak as error:
        raise click.ClickException(f"the log does not verify, nothing signed: {error}") from None
    click.echo(json.dumps(signed.to_dict()))


@audit.command("public-key")
def public_key() -> None:
    """Print the audit key's public half (PEM) — give it to whoever verifies bundles."""
    settings = Settings.from_env()
    click.echo(auditor_for(open_application(settings), settings).public_key_pem, nl=False)


@audit.command("export")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
def export(out: Path) -> None:
    """Write a self-contained bundle (events as stored, checkpoints, public key) to OUT."""
    settings = Settings.from_env()
    app = open_application(settings)
    auditor = auditor_for(app, settings)
    try:
        auditor.checkpoint(force=False)
    except AuditBreak as error:
        console.print(f"[red]the log does not verify[/] ({error}); exporting it as it is")
    with _bar() as bar:
        task = bar.add_task("exporting events", total=log_size(app))
        manifest = export_bundle(app, out, auditor.store.all(), auditor.public_key,
                                 datetime.now(UTC), lambda n: bar.advance(task, n))
    click.echo(json.dumps(manifest))


@audit.command("verify-bundle")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--public-key", "key_file", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The hub's audit public key (PEM), obtained independently of the bundle.")
def verify_bundle_command(folder: Path, key_file: Path) -> None:
    """Verify a bundle offline: no server, no database, no cipher key."""
    try:
        key = load_public_key(key_file.read_bytes())
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--public-key") from None
    with _bar() as bar:
        task = bar.add_task("verifying bundle", total=_bundle_size(folder))
        report = verify_bundle(folder, key, lambda n: bar.advance(task, n))
    _print_report(report, "bundle")
    sys.exit(0 if report.ok else 1)


def _bundle_size(folder: Path) -> Any:
    try:
        found = json.loads((folder / "manifest.json").read_text()).get("events")
    except (OSError, ValueError, AttributeError, RecursionError):
        return None  # the verification names what is wrong with the manifest
    return found if type(found) is int and found >= 0 else None


@click.command("stats")
@click.option("--plot", "plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the figure into this file (.png or .svg).")
@click.option("--group-by", "group_by", default="month", show_default=True,
              type=click.Choice(GROUPS))
def stats(plot: Path | None, group_by: str) -> None:
    """Referral statistics (no personal data); --plot draws them for an annual report."""
    settings = Settings.from_env()
    model = open_stats(settings, open_application(settings))
    with _bar() as bar:
        task = bar.add_task("statistics catching up", total=None)
        model.catch_up(lambda position, head: bar.update(task, completed=position, total=head))
    if plot is not None:
        fmt = plot.suffix.lstrip(".").lower()
        if fmt not in ("png", "svg"):
            raise click.BadParameter("The file must end in .png or .svg.", param_hint="--plot")
        plot.write_bytes(render(model.rows(), fmt))
        console.print(f"wrote {plot}")
    click.echo(json.dumps({"group_by": group_by, "groups": model.summary(group_by)},
                          ensure_ascii=False))


COMMANDS = [verify, replay, audit, stats]
