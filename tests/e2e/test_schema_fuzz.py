"""Every operation of the OpenAPI document, called with inputs schemathesis generates from it
(valid and invalid), as a staff member, an inspector and the hub administrator, on SQLite and
on PostgreSQL: never a 500.

The hand-written fuzz (test_errors.py, test_case_fuzz.py) covers bodies; this one also covers
every path and query parameter the document declares. Its first run against a live `hub
serve` found `GET /cases/summary?month=0000-01` (a 500, now a 422 naming `month`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.conftest import ADMIN_TOKEN
from tests.e2e.hubclient import ADMIN, World
from tests.stores import TEST_CIPHER_KEY, store_settings

USERS = ["receiver", "inspector", "hub-admin"]
EXAMPLES = 10  # per operation, mode and role: ~2,500 requests per store
AUDIT_KEY = "bm90LWEtcmVhbC1rZXktanVzdC1mb3ItdGVzdHMhISE="  # base64 of a 32-byte test seed


@pytest.fixture(scope="module", params=["sqlite",
                                        pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzzed(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    """A hub on a fresh store (after `hub db init`) with the test world and an accepted referral
    in it; and each fuzzing role's headers."""
    from hub import create_app
    from hub.cli import main

    folder: Path = tmp_path_factory.mktemp("schema-fuzz")
    with pytest.MonkeyPatch.context() as patch, \
            store_settings(request.param, folder, admin_token=ADMIN_TOKEN) as settings:
        patch.setenv("HUB_AUDIT_KEY", AUDIT_KEY)  # PostgreSQL has no key file beside it
        env = {"HUB_DATABASE_URL": settings.database_url, "HUB_CIPHER_KEY": TEST_CIPHER_KEY}
        assert CliRunner().invoke(main, ["db", "init"], env=env).exit_code == 0
        app = create_app({"TESTING": True, "HUB_SETTINGS": settings})
        world = World(app.test_client()).build()
        referral = world.new_referral()
        world.act("receiver", referral, "accept")
        headers = {user: world.headers[user] for user in USERS if user in world.headers}
        yield app, {**headers, "hub-admin": ADMIN}
        app.extensions["hub"].app.close()


@pytest.fixture(scope="module")
def operations(fuzzed: tuple[Any, dict[str, Any]]) -> list[Any]:
    """Every operation the OpenAPI document declares (41 when this was written)."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed[0])
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 40
    return found


@pytest.mark.parametrize("user", USERS)
def test_boundary_inputs_get_no_server_error(operations: list[Any], user: str,
                                             fuzzed: tuple[Any, dict[str, Any]]) -> None:
    """schemathesis's coverage cases (~1,800): each declared constraint's edges, valid and
    broken — the month `0000-01` that was a 500 is one of them."""
    schema, headers = operations[0].schema, fuzzed[1][user]
    errors = []
    for operation in operations:
        config = schema.config.generation_for(operation=operation)
        for case in schema.iter_coverage_cases(operation, generation_config=config,
                                               generation_modes=list(GenerationMode)):
            answer = case.call(headers=headers)
            if answer.status_code >= 500:
                errors.append(f"{operation.label} {case.path_parameters} {case.query} "
                              f"{case.body!r:.200}: {answer.status_code}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("mode", list(GenerationMode))
@pytest.mark.parametrize("user", USERS)
def test_generated_inputs_get_no_server_error(operations: list[Any], user: str,
                                              mode: GenerationMode,
                                              fuzzed: tuple[Any, dict[str, Any]]) -> None:
    """Random inputs valid by the document, and inputs that break it, for each operation in
    turn. (schemathesis's own pytest plugin cannot take a fixture's app under pytest 9: it
    reads a private attribute pytest no longer has, so the cases are drawn here.)"""
    headers = fuzzed[1][user]
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        call()
