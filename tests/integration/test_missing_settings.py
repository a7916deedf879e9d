"""A hub on PostgreSQL without its keys says which setting is missing: the CLI in one line
(exit 2), `hub serve` before it starts a worker, the audit endpoints as a 503 problem.

Each of these was a traceback or a 500: `hub verify` and `hub serve` printed
`SettingsError` tracebacks (every worker of `hub serve` died at its start without
HUB_CIPHER_KEY), and GET /api/v1/audit/verify answered 500 without HUB_AUDIT_KEY (found by
schemathesis on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adapters.settings import Settings
from hub.cli import main
from tests.conftest import ADMIN_TOKEN
from tests.stores import TEST_CIPHER_KEY, fresh_postgres_database

pytestmark = pytest.mark.postgres
NO_KEYS = {"HUB_AUDIT_KEY": "", "HUB_AUDIT_KEY_FILE": "", "HUB_CIPHER_KEY": ""}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A PostgreSQL database after `hub db init`, and no key in the environment or a .env."""
    monkeypatch.chdir(tmp_path)  # the audit key is also read from ./.env
    for name in NO_KEYS:
        monkeypatch.delenv(name, raising=False)
    with fresh_postgres_database() as url:
        env = {"HUB_DATABASE_URL": url, "HUB_CIPHER_KEY": TEST_CIPHER_KEY}
        assert CliRunner().invoke(main, ["db", "init"], env=env).exit_code == 0
        yield url


@pytest.mark.parametrize("command,missing", [
    (["verify"], "HUB_AUDIT_KEY"),
    (["audit", "checkpoint"], "HUB_AUDIT_KEY"),
    (["serve", "--port", "1"], "HUB_CIPHER_KEY"),
    (["agency", "add", "x-school", "--name", "X", "--kind", "school", "--jurisdiction", "x"],
     "HUB_CIPHER_KEY"),
])
def test_the_cli_names_the_missing_setting(database: str, command: list[str],
                                           missing: str) -> None:
    cipher = "" if missing == "HUB_CIPHER_KEY" else TEST_CIPHER_KEY
    env = {**NO_KEYS, "HUB_DATABASE_URL": database, "HUB_CIPHER_KEY": cipher,
           "HUB_ADMIN_TOKEN": ADMIN_TOKEN}
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: ") and missing in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_audit_endpoints_answer_503_naming_the_setting(database: str) -> None:
    from hub import create_app

    app = create_app({"TESTING": True, "HUB_SETTINGS": Settings(
        database_url=database, cipher_key=TEST_CIPHER_KEY, admin_token=ADMIN_TOKEN)})
    try:
        client = app.test_client()
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        for path in ("audit/verify", "audit/checkpoints",
                     "audit/proofs/inclusion?position=1&tree_size=1",
                     "audit/proofs/consistency?old_size=1&new_size=1"):
            answer: Any = client.get(f"/api/v1/{path}", headers=admin)
            assert answer.status_code == 503, (path, answer.get_data(as_text=True))
            assert answer.mimetype == "application/problem+json"
            assert "HUB_AUDIT_KEY" in answer.json["detail"]
        assert client.get("/api/v1/audit/log", headers=admin).status_code == 200
    finally:
        app.extensions["hub"].app.close()
