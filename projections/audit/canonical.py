"""The bytes `domain.chain.canonical_json` gives, written by orjson when they are provably the same.

orjson with sorted keys writes compact UTF-8 JSON with the same string escapes as
`json.dumps(..., ensure_ascii=False)`, and the same digits for every integer it can hold.
Its floats differ (`1e-6` / `0.00001` where json writes `1e-06` / `1e-05`), and `orjson.loads`
reads integers beyond 64 bits as floats where `json.loads` keeps them exact. So orjson's bytes
are used only for values without any float (no event type of the hub has a float field):
`fast_canonical` answers None for any other value, and the caller goes back to the definition,
parsing with `json` again. orjson parses no NaN and no infinity, which the definition refuses.
tests/unit/test_fast_verification.py checks the equality on generated values.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS


def float_free(value: Any) -> bool:
    """True when a parsed JSON value holds no float at any depth."""
    kind = type(value)
    if kind is dict:
        for item in value.values():
            if type(item) is float or (type(item) in _NESTED and not float_free(item)):
                return False
        return True
    if kind is list:
        for item in value:
            if type(item) is float or (type(item) in _NESTED and not float_free(item)):
                return False
        return True
    return kind is not float


_NESTED = (dict, list)


def fast_canonical(value: Any) -> bytes | None:
    """`canonical_json(value)` for a value orjson parsed, or None when orjson cannot vouch."""
    return plain_canonical(value) if float_free(value) else None


def plain_canonical(value: Any) -> bytes | None:
    """`canonical_json(value)` for a float-free value orjson parsed (None if it cannot write it)."""
    try:
        return orjson.dumps(value, option=_SORTED)
    except orjson.JSONEncodeError:
        return None


def utc_text(stored: Any) -> str | None:
    """`format_time(stored_time(stored))` for the transcoder's usual UTC form, else None.

    `datetime.isoformat()` of a UTC time is `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`; the hashed
    form is the same digits with microseconds always present and `Z`. Any other text (another
    offset, none, another ISO 8601 form, a year before 1000, an invalid date) goes back to the
    definition.
    """
    text = stored.get("_data_") if type(stored) is dict else stored
    if type(text) is not str or not _UTC_ISO.fullmatch(text) or not _real_day(text[:10]):
        return None
    return text[:26] + "Z" if len(text) == 32 else text[:19] + ".000000Z"


# Each field's digits in range except the day of the month, which `_real_day` checks.
_UTC_ISO = re.compile(r"[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
                      r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{6})?\+00:00")


@lru_cache(maxsize=4096)
def _real_day(day: str) -> bool:
    """Whether `YYYY-MM-DD` is a day of the calendar (30 February is not)."""
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True
