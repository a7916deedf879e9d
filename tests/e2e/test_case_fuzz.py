# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""Any JSON body to any case action, and to case opening, gets an answer — never a 500."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.schemas.cases import ACTION_SCHEMAS
from tests.case_world import HttpWorld, world  # noqa: F401 (fixture)
from tests.e2e.strategies import JSON, TEXT

FIELD_NAMES = sorted({name for schema in ACTION_SCHEMAS.values()
                      for name in schema().fields} | {"referral_id", "lead_worker"})
BODIES = st.dictionaries(st.sampled_from(FIELD_NAMES) | TEXT, JSON, max_size=5)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def post(world: HttpWorld, path: str, body: Any) -> Any:
    """As json.dumps writes it (a lone surrogate goes as its escape)."""
    return world.client.post(f"/api/v1{path}", data=json.dumps(body),
                             content_type="application/json", headers=world.headers["workstation"])


@FUZZ
@given(action=st.sampled_from(sorted(ACTION_SCHEMAS)), body=BODIES)
def test_any_case_action_body(world: HttpWorld, action: str, body: dict[str, Any]) -> None:
    case_id = world.__dict__.setdefault("fuzzed_case", world.case()["id"])
    answer = post(world, f"/cases/{case_id}/{action}", body)
    assert answer.status_code in (200, 201, 409, 422), answer.get_data(as_text=True)


@FUZZ
@given(body=BODIES)
def test_any_case_opening_body(world: HttpWorld, body: dict[str, Any]) -> None:
    answer = post(world, "/cases", body)
    assert answer.status_code in (201, 400, 404, 409, 422), answer.get_data(as_text=True)
