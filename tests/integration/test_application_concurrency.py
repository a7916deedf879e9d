"""Optimistic concurrency at the application level on SQLite and PostgreSQL, with threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.storage import open_application
from domain.access import access_log_id
from domain.application import HubApplication
from domain.errors import NotAuthenticated, VersionMismatch
from domain.presentation import chain_breaks
from tests.referral_world import HUB_ADMIN, caller, register_world, submission
from tests.stores import store_settings

WRITERS = 8


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def apps(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[HubApplication]]:
    """Two Applications on one fresh store, as two worker processes would have."""
    with store_settings(str(request.param), tmp_path) as settings:
        first = open_application(settings, create_tables=True)
        second = open_application(settings)
        try:
            register_world(first, ["ref", "rec"])
            yield [first, second]
        finally:
            second.close()
            first.close()


def race(task: Callable[[int], Any], workers: int = WRITERS) -> list[Any]:
    """Run `task(n)` in `workers` threads started together; each result or exception."""
    results: list[Any] = [None] * workers
    barrier = threading.Barrier(workers)

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = task(n)
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def accepted_referral(app: HubApplication) -> Any:
    referral, _ = app.submit_referral(caller("ref"), submission())
    return app.act_on_referral(caller("rec"), referral.id, "accept", {})


class TestNotesWithoutIfMatch:
    def test_every_concurrent_note_is_kept(self, apps: list[HubApplication]) -> None:
        referral = accepted_referral(apps[0])

        def write(n: int) -> list[str]:
            who, app = caller("ref" if n % 2 else "rec"), apps[n % 2]
            texts = [f"note {n}-{k}" for k in range(8)]
            for text in texts:
                app.act_on_referral(who, referral.id, "notes", {"text": text})
            return texts

        results = race(write)
        assert not [r for r in results if isinstance(r, Exception)]
        written = sorted(t for texts in results for t in texts)
        events = apps[1].history(referral.id)
        noted = sorted(e.text for e in events if type(e).TYPE == "referral.note_added")
        assert noted == written and len(written) == WRITERS * 8
        assert chain_breaks(events) == []
        assert apps[0].get_referral(caller("ref"), referral.id).version == 2 + WRITERS * 8


class TestNotesWithTheSameIfMatch:
    def test_exactly_one_wins_and_the_rest_mismatch(self, apps: list[HubApplication]) -> None:
        referral = accepted_referral(apps[0])

        def write(n: int) -> Any:
            return apps[n % 2].act_on_referral(caller("rec"), referral.id, "notes",
                                               {"text": f"n{n}"}, expected_version=2)

        results = race(write)
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and winners[0].version == 3
        assert len(losers) == WRITERS - 1
        assert all(isinstance(e, VersionMismatch) and e.current == 3 for e in losers)
        assert len(apps[0].history(referral.id)) == 3


class TestRacingRegistry:
    def test_agencies_registered_at_once_are_all_kept(self, apps: list[HubApplication]) -> None:
        def register(n: int) -> None:
            for k in range(3):
                apps[n % 2].register_agency(HUB_ADMIN, id=f"agency-{n}-{k}", name="A",
                                            kind="school", jurisdiction="hubei")

        assert race(register) == [None] * WRITERS
        slugs = [a.slug for a in apps[1].list_agencies()]
        expected = {f"agency-{n}-{k}" for n in range(WRITERS) for k in range(3)}
        assert sorted(slugs) == sorted({"ref", "rec"} | expected)

    def test_tokens_issued_at_once_all_authenticate(self, apps: list[HubApplication]) -> None:
        def issue(n: int) -> str:
            return apps[n % 2].issue_token(HUB_ADMIN, agency="ref", user=f"u{n}", role="staff")

        tokens = race(issue)
        assert all(isinstance(t, str) for t in tokens), tokens
        assert sorted(apps[0].authenticate(t).user for t in tokens) == sorted(
            f"u{n}" for n in range(WRITERS))


class TestRacingIdempotentSubmissions:
    def test_one_referral_for_one_key(self, apps: list[HubApplication]) -> None:
        def submit(n: int) -> Any:
            return apps[n % 2].submit_referral(caller("ref"), submission(),
                                               idempotency_key="same-key")

        results = race(submit)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len({referral.id for referral, _ in results}) == 1
        assert sorted(new for _, new in results) == [False] * (WRITERS - 1) + [True]


    def test_repeats_among_new_submissions_fail_no_one(self, apps: list[HubApplication]) -> None:
        first, _ = apps[0].submit_referral(caller("ref"), submission(), idempotency_key="k")

        def submit(n: int) -> Any:  # one application: concurrent saves share transactions
            key = "k" if n % 2 else f"fresh-{n}"
            return apps[0].submit_referral(caller("ref"), submission(), idempotency_key=key)

        results = race(submit)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert [new for _, new in results] == [n % 2 == 0 for n in range(WRITERS)]
        assert {r.id for n, (r, _) in enumerate(results) if n % 2} == {first.id}
        assert len({r.id for r, _ in results}) == WRITERS // 2 + 1

class TestRacingSweeps:
    def test_an_overdue_referral_escalates_once_however_many_sweep(
        self, apps: list[HubApplication]
    ) -> None:
        referral, _ = apps[0].submit_referral(caller("ref"), submission(urgency="emergency"))
        later = apps[0].clock() + timedelta(hours=5)

        results = race(lambda n: apps[n % 2].escalate_referral(referral.id, now=later))
        assert sorted(results) == [False] * (WRITERS - 1) + [True]
        types = [type(e).TYPE for e in apps[1].history(referral.id)]
        assert types == ["referral.submitted", "referral.escalated"]


class TestRememberedTokens:
    """Each process remembers the tokens it verified; a revocation elsewhere counts at once."""

    def test_a_token_revoked_by_another_process_fails_on_the_next_request(
            self, apps: list[HubApplication]) -> None:
        here, elsewhere = apps
        token = here.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        assert here.authenticate(token).user == "wang"  # verified: remembered by `here`
        assert here.authenticate(token).user == "wang"
        elsewhere.revoke_tokens(HUB_ADMIN, agency="ref", user="wang")
        with pytest.raises(NotAuthenticated):
            here.authenticate(token)
        fresh = elsewhere.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        assert here.authenticate(fresh).user == "wang"
        with pytest.raises(NotAuthenticated):
            here.authenticate(token)

    def test_revoking_someone_else_keeps_a_remembered_token(
            self, apps: list[HubApplication]) -> None:
        here, elsewhere = apps
        kept = here.issue_token(HUB_ADMIN, agency="ref", user="li", role="staff")
        elsewhere.issue_token(HUB_ADMIN, agency="ref", user="wang", role="staff")
        assert here.authenticate(kept).user == "li"
        elsewhere.revoke_tokens(HUB_ADMIN, agency="ref", user="wang")
        assert here.authenticate(kept).user == "li"

class TestConcurrentReads:
    def test_every_concurrent_read_is_recorded_in_one_chain(
            self, apps: list[HubApplication]) -> None:
        referral, _ = apps[0].submit_referral(caller("ref"), submission())

        def read(n: int) -> None:
            for k in range(8):  # the first reads also race to open the log
                apps[n % 2].record_access(caller("ref" if n % 2 else "rec"), referral.id,
                                          "referral", purpose=f"{n}-{k}")

        results = race(read)
        assert not [r for r in results if isinstance(r, Exception)]
        events = apps[1].history(access_log_id(referral.id))
        assert [e.originator_version for e in events] == list(range(1, 2 + WRITERS * 8))
        recorded = sorted(e.purpose for e in events[1:])
        assert recorded == sorted(f"{n}-{k}" for n in range(WRITERS) for k in range(8))
        assert chain_breaks(events) == []
