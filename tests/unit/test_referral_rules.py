"""The referral state machine, action by action, status by status, side by side (domain level)."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.base import Caller
from domain.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from domain.presentation import chain_breaks
from domain.referral import RULES, Referral, allowed_actions
from domain.referral_service import ACTIONS
from tests.conftest import memory_application
from tests.referral_world import (
    AGENCIES,
    HUB_ADMIN,
    PATHS,
    STATUSES,
    T0,
    caller,
    inspector,
    payload,
    register_world,
    submission,
    walk,
    with_clock,
)

# The contract's table, written from CONTRACT.md independently of domain/referral.py:
# action -> (side, statuses it may be done from, status after).
CONTRACT: dict[str, tuple[str, frozenset[str], str | None]] = {
    "accept": ("receiver", frozenset({"submitted"}), "accepted"),
    "decline": ("receiver", frozenset({"submitted", "info_requested"}), "declined"),
    "redirect": ("receiver", frozenset({"submitted"}), "submitted"),
    "request-info": ("receiver", frozenset({"submitted"}), "info_requested"),
    "provide-info": ("referrer", frozenset({"info_requested"}), "submitted"),
    "withdraw": ("referrer", frozenset({"submitted", "info_requested"}), "withdrawn"),
    "notes": ("either", frozenset({"accepted"}), "accepted"),
    "complete": ("receiver", frozenset({"accepted"}), "completed"),
    "acknowledge": ("referrer", frozenset({"completed"}), "closed"),
    "reopen": ("referrer", frozenset({"completed"}), "accepted"),
}
SIDES = ("referrer", "receiver", "redirected_away", "outsider")


def submitted(referrer: Caller | None = None, to_agency: str = "rec") -> Referral:
    """A fresh referral from `ref` to `to_agency`."""
    fields = submission(to_agency)
    return Referral.submit(id=uuid.uuid4(), caller=referrer or caller("ref"), at=T0, **fields)


def run(referral: Referral, who: Caller, action: str, body: dict[str, Any]) -> None:
    ACTIONS[action](referral, who, at=T0, **body)


def referral_in(status: str, *, redirected: bool = False) -> tuple[Referral, dict[str, Caller]]:
    """A referral driven to `status`; `redirected` first hands it from `rec` on to `alt`."""
    referral = submitted()
    sides = {"referrer": caller("ref"), "receiver": caller("rec"),
             "redirected_away": caller("third"), "outsider": caller("outsider")}
    if redirected:
        run(referral, caller("rec"), "redirect", payload("redirect", to_agency="alt"))
        sides["redirected_away"], sides["receiver"] = caller("rec"), caller("alt")
    walk(lambda who, action, body: run(referral, who, action, body), status,
         sides["referrer"], sides["receiver"])
    assert referral.status == status
    return referral, sides


def expected_outcome(action: str, side: str, status: str) -> type[Exception] | str:
    """What the contract says happens: the new status, or the error class."""
    who, statuses, after = CONTRACT[action]
    allowed_sides = ("referrer", "receiver") if who == "either" else (who,)
    if side not in allowed_sides:
        return NotPermitted
    if status not in statuses:
        return InvalidTransition
    assert after is not None
    return after


class TestTheRulesTable:
    def test_rules_name_exactly_the_contract_actions(self) -> None:
        assert set(RULES) - {"open-case"} == set(CONTRACT) == set(ACTIONS)

    @pytest.mark.parametrize("action", sorted(CONTRACT))
    def test_rules_entry_matches_the_contract(self, action: str) -> None:
        who, statuses, _ = CONTRACT[action]
        assert RULES[action][0] == who
        assert set(RULES[action][1]) == statuses

    @pytest.mark.parametrize("status", STATUSES)
    def test_allowed_actions_are_the_contract_ones(self, status: str) -> None:
        expected = {a for a, (_, statuses, _) in CONTRACT.items() if status in statuses}
        assert set(allowed_actions(status)) == expected

    @pytest.mark.parametrize("status", ["declined", "withdrawn", "closed"])
    def test_final_statuses_allow_nothing(self, status: str) -> None:
        assert allowed_actions(status) == []


# A redirected-away agency exists only once the referral has been redirected.
CASES = [case for case in itertools.product(sorted(CONTRACT), STATUSES, SIDES, [False, True])
         if case[2] != "redirected_away" or case[3]]
ACTION_STATUS = list(itertools.product(sorted(CONTRACT), STATUSES))


@pytest.mark.parametrize(("action", "status", "side", "redirected"), CASES)
def test_every_action_from_every_status_by_every_side(
    action: str, status: str, side: str, redirected: bool
) -> None:
    referral, sides = referral_in(status, redirected=redirected)
    expected = expected_outcome(action, side, status)
    version = referral.version
    target = "third" if redirected else "alt"
    body = payload(action, to_agency=target)
    if isinstance(expected, str):
        run(referral, sides[side], action, body)
        assert (referral.status, referral.version) == (expected, version + 1)
    else:
        with pytest.raises(expected):
            run(referral, sides[side], action, body)
        assert (referral.status, referral.version) == (status, version)


@pytest.mark.parametrize(("action", "status"), ACTION_STATUS)
@pytest.mark.parametrize("slug", ["ref", "rec", "insp-jingmen"])
def test_inspectors_may_do_nothing(action: str, status: str, slug: str) -> None:
    referral, _ = referral_in(status)
    with pytest.raises(NotPermitted):
        run(referral, inspector(slug), action, payload(action))


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_act_alike(role: str) -> None:
    referral = submitted()
    run(referral, caller("rec", role), "accept", payload("accept"))
    run(referral, caller("ref", role), "notes", payload("notes"))
    assert referral.status == "accepted"


class TestInvalidTransition:
    def test_names_the_status_and_the_allowed_actions(self) -> None:
        referral, sides = referral_in("info_requested")
        with pytest.raises(InvalidTransition) as refused:
            run(referral, sides["receiver"], "accept", payload("accept"))
        assert refused.value.status == "info_requested"
        assert set(refused.value.allowed) == {"decline", "provide-info", "withdraw"}
        for word in ("info_requested", "decline", "provide-info", "withdraw"):
            assert word in refused.value.detail

    def test_a_final_status_says_nothing_is_allowed(self) -> None:
        referral, sides = referral_in("closed")
        with pytest.raises(InvalidTransition) as refused:
            run(referral, sides["referrer"], "reopen", payload("reopen"))
        assert refused.value.allowed == [] and "closed" in refused.value.detail


class TestSubmit:
    def test_submitted_referral_names_both_parties(self) -> None:
        referral = submitted()
        assert (referral.status, referral.version) == ("submitted", 1)
        assert (referral.from_agency, referral.to_agency) == ("ref", "rec")
        assert referral.parties == ["ref", "rec"]
        assert referral.view(T0)["parties"] == ["ref", "rec"]

    def test_the_submitted_event_names_its_actor(self) -> None:
        referral = Referral.submit(id=uuid.uuid4(), caller=caller("ref", user="wang"), at=T0,
                                   **submission())
        (event,) = referral.collect_events()
        assert event.actor == {"agency": "ref", "user": "wang"}

    def test_inspectors_cannot_submit(self) -> None:
        with pytest.raises(NotPermitted):
            submitted(referrer=inspector("ref"))


class TestAccept:
    def test_records_the_assignee(self) -> None:
        referral = submitted()
        run(referral, caller("rec"), "accept", {"assignee": "zhang"})
        assert referral.assignee == "zhang"
        assert referral.view(T0)["assignee"] == "zhang"


class TestRedirect:
    def test_hands_the_referral_to_another_receiver_and_keeps_the_old_one_a_party(self) -> None:
        referral = submitted()
        run(referral, caller("rec"), "redirect", payload("redirect", to_agency="alt"))
        assert (referral.status, referral.to_agency) == ("submitted", "alt")
        assert referral.parties == ["ref", "rec", "alt"]
        assert referral.visible_to(caller("rec"))

    @pytest.mark.parametrize("target", ["ref", "rec"])
    def test_cannot_redirect_to_the_referrer_or_the_current_receiver(self, target: str) -> None:
        referral = submitted()
        with pytest.raises(Invalid) as refused:
            run(referral, caller("rec"), "redirect", payload("redirect", to_agency=target))
        assert "to_agency" in refused.value.errors and referral.version == 1

    def test_may_come_back_to_an_earlier_receiver_without_repeating_the_party(self) -> None:
        referral = submitted()
        run(referral, caller("rec"), "redirect", payload("redirect", to_agency="alt"))
        run(referral, caller("alt"), "redirect", payload("redirect", to_agency="rec"))
        assert referral.to_agency == "rec" and referral.parties == ["ref", "rec", "alt"]


class TestRequestAndProvideInfo:
    def test_question_and_answer_are_kept_in_order(self) -> None:
        referral = submitted()
        run(referral, caller("rec"), "request-info", {"question": "Q1"})
        run(referral, caller("ref"), "provide-info", {"answer": "A1"})
        run(referral, caller("rec"), "request-info", {"question": "Q2"})
        assert [(q["question"], q["answer"]) for q in referral.questions] == [
            ("Q1", "A1"), ("Q2", None)]
        assert referral.status == "info_requested"


class TestNotes:
    def test_both_parties_notes_are_kept_with_their_authors(self) -> None:
        referral, _ = referral_in("accepted")
        run(referral, caller("ref", user="a"), "notes", {"text": "from referrer"})
        run(referral, caller("rec", user="b"), "notes", {"text": "from receiver"})
        assert [(n["text"], n["by"]["agency"]) for n in referral.notes] == [
            ("from referrer", "ref"), ("from receiver", "rec")]


class TestCompleteAndReopen:
    def test_complete_records_the_outcome_and_reopen_clears_it(self) -> None:
        referral, sides = referral_in("completed")
        assert referral.outcome == "service_provided"
        run(referral, sides["referrer"], "reopen", payload("reopen"))
        assert (referral.status, referral.outcome) == ("accepted", None)
        run(referral, sides["receiver"], "complete", {"outcome": "other", "summary": "again"})
        assert (referral.status, referral.outcome) == ("completed", "other")


class TestDeclineAndWithdraw:
    @pytest.mark.parametrize(("action", "side"), [("decline", "receiver"),
                                                  ("withdraw", "referrer")])
    def test_keeps_the_reason(self, action: str, side: str) -> None:
        referral, sides = referral_in("info_requested")
        run(referral, sides[side], action, {"reason": "because"})
        assert referral.closing_reason == "because"


class TestOpenCase:
    def test_receiver_opens_one_case_on_an_accepted_referral(self) -> None:
        referral, sides = referral_in("accepted")
        referral.open_case(sides["receiver"], at=T0, case_id="c-1")
        assert referral.case_id == "c-1"
        with pytest.raises(Conflict):
            referral.open_case(sides["receiver"], at=T0, case_id="c-2")

    @pytest.mark.parametrize("status", [s for s in STATUSES if s != "accepted"])
    def test_no_case_outside_accepted(self, status: str) -> None:
        referral, sides = referral_in(status)
        with pytest.raises(InvalidTransition):
            referral.open_case(sides["receiver"], at=T0, case_id="c-1")

    def test_referrer_cannot_open_a_case(self) -> None:
        referral, sides = referral_in("accepted")
        with pytest.raises(NotPermitted):
            referral.open_case(sides["referrer"], at=T0, case_id="c-1")


def test_every_status_has_a_path() -> None:
    assert set(PATHS) == {"submitted", "info_requested", "accepted", "completed", "declined",
                          "withdrawn", "closed"}


# --- random lives: a stateful test against a simple model of the contract --------------------

CALLERS = [caller("ref"), caller("rec", "admin"), caller("alt"), caller("third"),
           caller("outsider"), inspector("insp-jingmen"), inspector("insp-wuhan"),
           inspector("insp-jing"), HUB_ADMIN]
TARGETS = ["ref", "rec", "alt", "third", "outsider", "nobody"]


class ReferralLife(RuleBasedStateMachine):
    """Random callers try random actions; the application must agree with the model."""

    def __init__(self) -> None:
        super().__init__()
        self.app = memory_application()
        register_world(self.app)
        self.clock = with_clock(self.app)
        self.clock.step = timedelta(0)
        referral, _ = self.app.submit_referral(caller("ref"), submission())
        self.id = referral.id
        self.status, self.to, self.parties, self.version = "submitted", "rec", ["ref", "rec"], 1
        self.respond_by, self.escalated = self.clock.now + timedelta(hours=24), False

    def expected(self, who: Caller, action: str, target: str) -> type[Exception] | None:
        """The error the contract prescribes, or None when the action succeeds."""
        overseen = [p for p in self.parties if who.oversees(AGENCIES[p][1])]
        if who.agency not in self.parties and not (who.is_inspector and overseen):
            return NotFound
        if who.is_inspector:
            return NotPermitted
        side = {"ref": "referrer", self.to: "receiver"}.get(who.agency, "none")
        outcome = expected_outcome(action, side, self.status)
        if not isinstance(outcome, str):
            return outcome
        if action == "redirect" and target in ("nobody", "ref", self.to):
            return Invalid
        return None

    @rule(who=st.sampled_from(CALLERS), action=st.sampled_from(sorted(CONTRACT)),
          to_agency=st.sampled_from(TARGETS))
    def act(self, who: Caller, action: str, to_agency: str) -> None:
        error = self.expected(who, action, to_agency)
        body = payload(action, to_agency=to_agency)
        if error is not None:
            with pytest.raises(error):
                self.app.act_on_referral(who, self.id, action, body)
            return
        self.app.act_on_referral(who, self.id, action, body)
        self.status, self.version = CONTRACT[action][2] or self.status, self.version + 1
        if action == "redirect":
            self.to, self.escalated = to_agency, False
            self.respond_by = self.clock.now + timedelta(hours=24)
            self.parties += [] if to_agency in self.parties else [to_agency]

    @rule(side=st.sampled_from(["referrer", "receiver"]),
          action=st.sampled_from(sorted(CONTRACT)), to_agency=st.sampled_from(TARGETS))
    def a_party_acts(self, side: str, action: str, to_agency: str) -> None:
        """Most random callers are strangers; this rule lets the story move on."""
        self.act(caller("ref" if side == "referrer" else self.to), action, to_agency)

    @rule(hours=st.integers(min_value=0, max_value=30))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    @rule()
    def sweep(self) -> None:
        due = self.status in ("submitted", "info_requested") and self.clock.now > self.respond_by
        escalates = due and not self.escalated
        assert self.app.escalate_referral(self.id) is escalates
        self.escalated, self.version = self.escalated or escalates, self.version + escalates

    @invariant()
    def agrees_with_the_model(self) -> None:
        referral = self.app.get_referral(caller("ref"), self.id)
        assert (referral.status, referral.to_agency) == (self.status, self.to)
        assert (referral.parties, referral.version) == (self.parties, self.version)
        assert referral.is_overdue(self.clock.now) == (
            self.status in ("submitted", "info_requested") and self.clock.now > self.respond_by)
        events = self.app.history(self.id)
        assert len(events) == self.version and chain_breaks(events) == []


ReferralLife.TestCase.settings = settings(max_examples=50, stateful_step_count=30,
                                          deadline=None)
TestReferralLife = ReferralLife.TestCase
