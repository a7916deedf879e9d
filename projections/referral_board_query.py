"""Queries over the referral board: who sees what, filters, newest first, opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from domain.chain import not_unicode
from domain.errors import Invalid

AWAITING_ANSWER = ("submitted", "info_requested")
BOXES = ("inbox", "outbox", "all")


@dataclass(frozen=True)
class PageQuery:
    """One page of the board as an agency (or an inspector over a jurisdiction) sees it."""

    box: str
    now: str
    limit: int
    agency: str | None = None
    jurisdiction: str | None = None  # an inspector's: every party within it is visible
    status: str | None = None
    category: str | None = None
    overdue: bool | None = None
    after: tuple[str, str] | None = None  # the last (created_at, id) of the previous page


def encode_cursor(created_at: str, referral_id: str) -> str:
    raw = json.dumps([created_at, referral_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The sort key a cursor stands for; Invalid (field `cursor`) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        value = None
    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, str) and not not_unicode(v) for v in value)):
        raise Invalid("The cursor is not one this list issued.",
                      {"cursor": ["Not a valid cursor; use next_cursor from the previous page."]})
    return value[0], value[1]


def within(path: str, jurisdiction: str) -> bool:
    """`path` lies within `jurisdiction` (a path-prefix match, as `Caller.oversees`)."""
    mine = jurisdiction.strip("/")
    return bool(mine) and (path == mine or path.startswith(mine + "/"))


def sort_key(row: dict[str, Any]) -> tuple[str, str]:
    return row["created_at"], row["id"]


def _is_overdue(row: dict[str, Any], now: str) -> bool:
    return row["status"] in AWAITING_ANSWER and row["respond_by"] < now


def matches(q: PageQuery, row: dict[str, Any], parties: list[dict[str, Any]]) -> bool:
    """The in-memory twin of `to_sql`."""
    if q.jurisdiction is not None:
        seen = {"inbox": [row["to_jurisdiction"]], "outbox": [row["from_jurisdiction"]],
                "all": [p["jurisdiction"] for p in parties]}[q.box]
        visible = any(within(j, q.jurisdiction) for j in seen)
    else:
        seen = {"inbox": [row["to_agency"]], "outbox": [row["from_agency"]],
                "all": [p["agency"] for p in parties]}[q.box]
        visible = q.agency in seen
    return (visible and (q.status is None or row["status"] == q.status)
            and (q.category is None or row["category"] == q.category)
            and (q.overdue is None or _is_overdue(row, q.now) == q.overdue)
            and (q.after is None or sort_key(row) < q.after))


def _scope(q: PageQuery) -> tuple[str, str, list[Any]]:
    """FROM clause, the visibility condition and its parameters."""
    if q.jurisdiction is not None:
        path = q.jurisdiction.strip("/")
        if not path:
            return "board_referrals r", "1 = 0", []  # an inspector without a jurisdiction
        test = "({c} = ? OR substr({c}, 1, ?) = ?)"
        params: list[Any] = [path, len(path) + 1, path + "/"]
        if q.box == "all":
            cond = ("EXISTS (SELECT 1 FROM board_referral_parties p WHERE p.referral_id = r.id "
                    f"AND {test.format(c='p.jurisdiction')})")
        else:
            cond = test.format(c="r.to_jurisdiction" if q.box == "inbox" else "r.from_jurisdiction")
        return "board_referrals r", cond, params
    if q.box == "all":
        return ("board_referral_parties p JOIN board_referrals r ON r.id = p.referral_id",
                "p.agency = ?", [q.agency])
    return "board_referrals r", ("r.to_agency = ?" if q.box == "inbox" else "r.from_agency = ?"), [q.agency]


def to_sql(q: PageQuery) -> tuple[str, list[Any]]:
    """One keyset-paginated statement whose ORDER BY an index serves."""
    source, cond, params = _scope(q)
    # Through the parties table, sort on its copy of the key so its index serves the order.
    key = "p.created_at, p.referral_id" if source.startswith("board_referral_parties") \
        else "r.created_at, r.id"
    where = [cond]
    for column, value in (("r.status", q.status), ("r.category", q.category)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if q.overdue is not None:
        late = "(r.status IN (?, ?) AND r.respond_by < ?)"
        where.append(late if q.overdue else f"NOT {late}")
        params += [*AWAITING_ANSWER, q.now]
    if q.after is not None:
        where.append(f"({key}) < (?, ?)")
        params += list(q.after)
    desc = ", ".join(f"{k.strip()} DESC" for k in key.split(","))
    statement = (f"SELECT r.* FROM {source} WHERE {' AND '.join(where)} "
                 f"ORDER BY {desc} LIMIT ?")
    return statement, [*params, q.limit + 1]
