"""`hub agency add` and `hub token issue` on the configured store; the token then works over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adapters.settings import Settings
from hub.cli import main
from tests.conftest import ADMIN_TOKEN
from tests.e2e.hubclient import bearer
from tests.stores import TEST_CIPHER_KEY


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """HUB_* variables for a fresh SQLite store; the working directory holds no `.env`."""
    monkeypatch.chdir(tmp_path)
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "HUB_CIPHER_KEY": TEST_CIPHER_KEY, "HUB_ADMIN_TOKEN": ADMIN_TOKEN}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def served(environment: dict[str, str]) -> Iterator[Any]:
    """A test client of an app over the same store the commands wrote to."""
    from hub import create_app

    flask_app = create_app({"TESTING": True, "HUB_SETTINGS": Settings.from_env()})
    yield flask_app.test_client()
    flask_app.extensions["hub"].app.close()


def hub(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def add(slug: str, *extra: str) -> Any:
    return hub("agency", "add", slug, "--name", f"Agency {slug}", "--kind", "school",
               "--jurisdiction", "hubei/jingmen/dongbao", *extra)


def test_an_agency_added_and_a_token_issued_work_over_http(environment: dict[str, str],
                                                           served: Any) -> None:
    assert add("school-a").exit_code == 0
    assert add("school-b", "--parent", "school-a").exit_code == 0
    issued = hub("token", "issue", "school-a", "teacher-li", "--role", "admin")
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip()
    assert token.startswith("rh_")
    listed = served.get("/api/v1/agencies", headers=bearer(token))
    assert listed.status_code == 200
    assert [(a["id"], a["parent"]) for a in listed.json["items"]] == [
        ("school-a", None), ("school-b", "school-a")]


def test_revoking_a_users_tokens(environment: dict[str, str], served: Any) -> None:
    add("school-a")
    token = hub("token", "issue", "school-a", "teacher-li").output.strip()
    revoked = hub("token", "revoke", "school-a", "teacher-li")
    assert revoked.exit_code == 0 and "Revoked 1" in revoked.output
    assert served.get("/api/v1/agencies", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("args,message", [
    (("agency", "add", "Bad Slug", "--name", "n", "--kind", "school", "--jurisdiction", "x"),
     "id"),
    (("agency", "add", "ok-slug", "--name", "n", "--kind", "bank", "--jurisdiction", "x"),
     "bank"),
    (("token", "issue", "school-a", "u", "--role", "owner"), "owner"),
])
def test_bad_arguments_are_usage_errors(environment: dict[str, str], args: tuple[str, ...],
                                        message: str) -> None:
    result = hub(*args)
    assert result.exit_code == 2 and message in result.output


def test_refusals_of_the_domain_are_errors_not_tracebacks(environment: dict[str, str]) -> None:
    add("school-a")
    twice = add("school-a")
    assert twice.exit_code == 1 and "exists already" in twice.output
    nowhere = hub("token", "issue", "no-such", "u")
    assert nowhere.exit_code == 1 and "No agency" in nowhere.output
    orphan = add("school-c", "--parent", "no-such")
    assert orphan.exit_code == 1 and "parent" in orphan.output
    assert "Traceback" not in twice.output + nowhere.output + orphan.output


def test_an_argument_that_is_not_utf8_is_a_usage_error(environment: dict[str, str],
                                                       served: Any) -> None:
    """Undecodable argv bytes reach Python as unpaired surrogates ('\\udcff' for 0xff): refused
    before anything is written, not a traceback from the event's hashing."""
    answer = hub("agency", "add", "school-x", "--name", "bad\udcff", "--kind", "school",
                 "--jurisdiction", "hubei/jingmen/dongbao")
    assert answer.exit_code == 2 and "is not UTF-8 text" in answer.output
    assert add("school-x").exit_code == 0  # nothing of the refused call was stored
