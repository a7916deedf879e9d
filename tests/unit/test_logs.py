"""The request log line's time and record, written without `Logger.info`'s slow path."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from hub.logs import JsonFormatter, _utc


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_time_is_isoformat_in_milliseconds(created: float) -> None:
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    assert _utc(created) == expected[:-6] + "Z"


def test_times_within_one_second_reuse_its_text() -> None:
    assert _utc(1_700_000_000.001) == "2023-11-14T22:13:20.001Z"
    assert _utc(1_700_000_000.999) == "2023-11-14T22:13:20.999Z"
    assert _utc(1_700_000_001.0) == "2023-11-14T22:13:21.000Z"


def test_a_request_line_carries_only_its_whitelisted_fields() -> None:
    record = logging.getLogger("hub.access").makeRecord(
        "hub.access", logging.INFO, __file__, 0, "request", (), None,
        extra={"request_id": "r1", "status": 201, "token": "secret"})
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "r1" and line["status"] == 201 and line["message"] == "request"
    assert "token" not in line
