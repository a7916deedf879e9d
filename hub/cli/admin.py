"""`hub agency add` and `hub token issue`: the hub administrator's commands, run on the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from adapters.settings import Settings
from adapters.storage import open_application
from domain.agency import AGENCY_KINDS
from domain.application import HubApplication
from domain.base import ROLES, Caller
from domain.errors import HubError

HUB_ADMIN = Caller(agency="hub", user="hub-cli", role="hub_admin")


@contextmanager
def configured_application() -> Iterator[HubApplication]:
    """The Application over the store HUB_DATABASE_URL names; domain errors become CLI errors."""
    application = open_application(Settings.from_env())
    try:
        yield application
    except HubError as error:
        detail = error.detail
        for field, messages in getattr(error, "errors", {}).items():
            detail += f" {field}: {' '.join(messages)}"
        raise click.ClickException(detail) from None
    finally:
        application.close()


def _run(work: Callable[[HubApplication], Any]) -> Any:
    with configured_application() as application:
        return work(application)


@click.group()
def agency() -> None:
    """Agencies of the hub."""


@agency.command("add")
@click.argument("agency_id")
@click.option("--name", required=True, help="The agency's name.")
@click.option("--kind", required=True, type=click.Choice(AGENCY_KINDS))
@click.option("--jurisdiction", required=True, help="A slash path, e.g. hubei/jingmen/dongbao.")
@click.option("--parent", default=None, help="A registered agency above it.")
def add_agency(agency_id: str, name: str, kind: str, jurisdiction: str,
               parent: str | None) -> None:
    """Register an agency (as the hub administrator)."""
    from hub.schemas.agencies import AgencyCreateSchema

    fields = {"id": agency_id, "name": name, "kind": kind, "jurisdiction": jurisdiction}
    if parent:
        fields["parent"] = parent
    problems = AgencyCreateSchema().validate(fields)
    if problems:
        raise click.BadParameter("; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()))
    _run(lambda app: app.register_agency(HUB_ADMIN, **fields))
    click.echo(f"Registered agency {agency_id}.")


@click.group()
def token() -> None:
    """Bearer tokens of agencies' users."""


@token.command("issue")
@click.argument("agency_id")
@click.argument("user")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
def issue_token(agency_id: str, user: str, role: str) -> None:
    """Issue a token to USER of AGENCY_ID and print it (it is shown this once)."""
    plain = _run(lambda app: app.issue_token(HUB_ADMIN, agency=agency_id, user=user, role=role))
    click.echo(plain)


@token.command("revoke")
@click.argument("agency_id")
@click.argument("user")
def revoke_tokens(agency_id: str, user: str) -> None:
    """Revoke every token of USER of AGENCY_ID."""
    count = _run(lambda app: app.revoke_tokens(HUB_ADMIN, agency=agency_id, user=user))
    click.echo(f"Revoked {count} token(s) of {user} at {agency_id}.")


COMMANDS = [agency, token]
