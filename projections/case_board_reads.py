"""Reading the case board: a caseload page by page, and the workstation's monthly summary."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

from domain.errors import Invalid
from domain.privacy import mask_person
from domain.referral import RISK_LEVELS
from projections.case_board import CaseBoardProjection, Doc, Sealer, is_overdue
from projections.case_board_views import CaseQuery, Scope
from projections.engine.catchup import BATCH_SIZE, ReadModel
from projections.referral_board_query import decode_cursor, encode_cursor

MAX_LIMIT = 1000
UNASSESSED = "unassessed"


def month_bounds(month: date) -> tuple[str, str]:
    """The first day of `month` and of the month after, as ISO dates."""
    start = month.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start.isoformat(), end.isoformat()


class CaseBoard(ReadModel):
    """The caseload lists and summary: catch up (read-your-writes), then read."""

    def __init__(self, view: Any, application: Any, sealer: Sealer,
                 batch_size: int = BATCH_SIZE) -> None:
        super().__init__(CaseBoardProjection(view, sealer), application, batch_size)
        self.sealer = sealer

    def page(self, scope: Scope, *, today: date, status: str | None = None,
             risk_level: str | None = None, review_overdue: bool | None = None,
             limit: int = 50, cursor: str | None = None) -> tuple[list[Doc], str | None]:
        """The scope's cases, newest first, and the cursor of the next page."""
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid("Bad page size.", {"limit": [f"Must be between 1 and {MAX_LIMIT}."]})
        query = CaseQuery(scope=scope, today=today.isoformat(), limit=limit, status=status,
                          risk_level=risk_level, review_overdue=review_overdue,
                          after=decode_cursor(cursor) if cursor else None)
        rows = self.view.page_rows(query)
        items = [self._item(row, today, masked=scope.jurisdiction is not None)
                 for row in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit else None
        return items, encode_cursor(last["created_at"], last["id"]) if last else None

    def _item(self, row: dict[str, Any], today: date, masked: bool) -> Doc:
        doc: Doc = json.loads(self.sealer.decrypt(row["doc"]))
        doc["review_overdue"] = is_overdue(doc, today)
        if masked:
            doc["subject"] = mask_person(doc["subject"])
        return doc

    def summary(self, scope: Scope, *, today: date, month: date | None = None) -> dict[str, Any]:
        """Open cases by colour, overdue reviews, the month's sessions by kind and agency, and
        the share of those sessions a guardian attended."""
        month_start, month_end = month_bounds(month or today)
        open_rows = self.view.open_rows(scope)
        colours = Counter(r["risk_level"] or UNASSESSED for r in open_rows)
        sessions = self.view.session_rows(scope, month_start, month_end)
        present = sum(1 for s in sessions if s["guardian_present"])
        return {
            "as_of": today.isoformat(), "month": month_start[:7],
            "open_cases": len(open_rows),
            "open_by_risk_level": {k: colours.get(k, 0) for k in (*RISK_LEVELS, UNASSESSED)},
            "overdue_reviews": sum(1 for r in open_rows if r["next_review_on"] is not None
                                   and r["next_review_on"] < today.isoformat()),
            "sessions_this_month": len(sessions),
            "sessions_by_kind": dict(sorted(Counter(s["kind"] for s in sessions).items())),
            "sessions_by_agency": dict(sorted(Counter(s["agency"] for s in sessions).items())),
            "guardian_attendance": {
                "sessions": len(sessions), "guardian_present": present,
                "rate": round(present / len(sessions), 4) if sessions else None},
        }
