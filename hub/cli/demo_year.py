"""A workstation year, planned as dated steps and played through the application's commands.

Each referral's story is planned first (times, colours, sessions); then every step of every
story runs in time order with the application's clock set to the step's moment, so the store
holds a year that looks lived: backdated events, chains intact, as if typed in by the staff.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.application import HubApplication
from hub.cli import demo_cast as cast
from hub.cli.demo_cast import PARTNERS, ROLES, WORKSTATION, staff, subject

DAY = timedelta(days=1)
# how the referrals of the year end, by count
ENDINGS = ["case"] * 40 + ["decline"] * 3 + ["redirect"] * 3 + ["info"] * 2 + ["withdraw"]
OVERDUE = 3  # referrals of the last days nobody has answered yet
RISK_ORDER = ["red", "orange", "blue"]  # from high risk to low


@dataclass
class Step:
    at: datetime
    order: int
    run: Callable[[], None]


@dataclass
class Story:
    """One referral and, perhaps, its case: ids filled in as the steps run."""

    number: int
    ending: str
    referral_id: str = ""
    case_id: str = ""


@dataclass
class DemoClock:
    """The application's clock during the demo: set to each step's moment."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Year:
    """Plans the year's steps and plays them."""

    app: HubApplication
    rng: random.Random
    start: datetime
    end: datetime
    steps: list[Step] = field(default_factory=list)
    tally: Counter[str] = field(default_factory=Counter)

    def at(self, when: datetime, run: Callable[[], None]) -> None:
        if when < self.end:
            self.steps.append(Step(when, len(self.steps), run))

    def plan(self) -> None:
        endings = list(ENDINGS)
        self.rng.shuffle(endings)
        span = (self.end - self.start - 20 * DAY) / len(endings)
        for i, ending in enumerate(endings):
            when = self.start + span * (i + self.rng.random())
            self.plan_referral(Story(i + 1, ending), when.replace(hour=1 + i % 8))
        for j in range(OVERDUE):
            when = self.end - timedelta(days=2 + 2 * j, hours=3)
            self.plan_referral(Story(len(endings) + j + 1, "overdue"), when)

    def play(self, clock: DemoClock, advance: Callable[[], None]) -> None:
        for step in sorted(self.steps, key=lambda s: (s.at, s.order)):
            clock.now = step.at
            step.run()
            advance()

    # --- referrals --------------------------------------------------------------------------

    def plan_referral(self, story: Story, when: datetime) -> None:
        from_school = story.ending == "case" and self.rng.random() < 0.15
        referrer = "demo-school" if from_school else "demo-procuratorate"
        receiver = "demo-civil-affairs" if story.ending == "overdue" and story.number % 2 else \
            WORKSTATION
        fields = {"to_agency": receiver, "urgency": "urgent" if story.ending == "overdue"
                  else self.rng.choice(["routine", "routine", "urgent"]),
                  "category": "children_in_difficulty" if from_school
                  else "family_education_guidance",
                  "reason": self.rng.choice(cast.REASONS), "consent": {"basis": "legal_mandate"},
                  "subject": subject(self.rng, story.number, when.date()),
                  "external_ref": f"示例检未家指〔{when.year}〕{story.number}号"}

        def submit() -> None:
            referral, _ = self.app.submit_referral(staff(referrer, self.rng), fields)
            story.referral_id = str(referral.id)
            self.tally["referrals"] += 1

        self.at(when, submit)
        answer = when + timedelta(hours=self.rng.randint(2, 40))
        getattr(self, f"_{story.ending}")(story, referrer, answer)

    def act(self, story: Story, agency: str, action: str, **payload: Any) -> Callable[[], None]:
        def run() -> None:
            self.app.act_on_referral(staff(agency, self.rng), story.referral_id, action, payload)
            self.tally[f"referral {action}"] += 1
        return run

    def _decline(self, story: Story, referrer: str, when: datetime) -> None:
        self.at(when, self.act(story, WORKSTATION, "decline",
                               reason="不属于本工作站服务范围，建议由属地社工站跟进"))

    def _withdraw(self, story: Story, referrer: str, when: datetime) -> None:
        self.at(when, self.act(story, referrer, "withdraw", reason="当事人已迁出本区"))

    def _overdue(self, story: Story, referrer: str, when: datetime) -> None:
        def escalate() -> None:
            if self.app.escalate_referral(story.referral_id):
                self.tally["escalations"] += 1
        self.at(when + timedelta(hours=30), escalate)  # urgent: 24 hours to answer

    def _redirect(self, story: Story, referrer: str, when: datetime) -> None:
        self.at(when, self.act(story, WORKSTATION, "redirect", to_agency="demo-station",
                               reason="以社会救助需求为主，转属地社工站"))
        self.at(when + DAY, self.act(story, "demo-station", "accept", assignee="st-feng"))
        done = when + self.rng.randint(20, 40) * DAY
        self.at(done, self.act(story, "demo-station", "complete",
                               outcome="assistance_granted", summary="已链接临时救助"))
        self.at(done + 2 * DAY, self.act(story, referrer, "acknowledge", note="收悉"))

    def _info(self, story: Story, referrer: str, when: datetime) -> None:
        self.at(when, self.act(story, WORKSTATION, "request-info",
                               question="请补充监护人联系方式及案件进展"))
        self.at(when + DAY, self.act(story, referrer, "provide-info",
                                     answer="已补充，监护人电话见附件（演示）"))
        self._case(story, referrer, when + 2 * DAY)

    def _case(self, story: Story, referrer: str, when: datetime) -> None:
        self.at(when, self.act(story, WORKSTATION, "accept", assignee="ws-li"))
        CasePlan(self, story, referrer).plan(when + timedelta(hours=self.rng.randint(2, 30)))


@dataclass
class CasePlan:
    """One case's life: colours, report, plan, sessions, supervision, closure, the loop."""

    year: Year
    story: Story
    referrer: str

    def act(self, agency: str, action: str, **payload: Any) -> Callable[[], None]:
        def run() -> None:
            self.year.app.act_on_case(staff(agency, self.year.rng), self.story.case_id, action,
                                      payload)
            self.year.tally[f"case {action}"] += 1
        return run

    def plan(self, opened: datetime) -> None:
        rng, year = self.year.rng, self.year
        year.at(opened, self.open)
        closes = opened + rng.randint(70, 220) * DAY
        last = min(closes, year.end)
        self.colours(opened + DAY, last)
        if self.referrer == "demo-procuratorate":
            self.reports(opened + rng.randint(5, 14) * DAY)
        planned = opened + rng.randint(3, 7) * DAY
        year.at(planned, self.act(WORKSTATION, "plan", goals=["改善亲子沟通", "稳定就学"],
                                  sessions_planned=rng.randint(6, 12),
                                  review_on=(planned + 45 * DAY).date()))
        self.sessions(opened + 2 * DAY, last)
        year.at(opened + rng.randint(20, 50) * DAY, self.act(
            WORKSTATION, "supervision-reviews", reviewer="示例督导",
            advice=rng.choice(["加强与学校的联动", "关注监护人情绪", "增加家访频次"])))
        if closes < year.end:
            self.close(closes)

    def open(self) -> None:
        case = self.year.app.open_case(
            staff(WORKSTATION, self.year.rng), referral_id=self.story.referral_id,
            lead_worker="ws-li", participants=[{"agency": a, "role": ROLES[a]} for a in PARTNERS])
        self.story.case_id = str(case.id)
        self.year.tally["cases opened"] += 1

    def colours(self, first: datetime, last: datetime) -> None:
        rng = self.year.rng
        colour = rng.choices(["red", "orange", "blue"], [25, 45, 30])[0]
        self.year.at(first, self.act(WORKSTATION, "risk-assessments", level=colour,
                                     factors=rng.sample(cast.FACTORS, 3), note=None))
        when = first
        while True:
            when += (self.year.app.review_days[colour] + rng.randint(-2, 6)) * DAY
            if when >= last:
                return
            new = self.next_colour(colour)
            better = RISK_ORDER.index(new) > RISK_ORDER.index(colour)
            note = None if new == colour else rng.choice(cast.IMPROVE if better else cast.WORSEN)
            self.year.at(when, self.act(WORKSTATION, "risk-assessments", level=new,
                                        factors=rng.sample(cast.FACTORS, 2), note=note))
            colour = new

    def next_colour(self, colour: str) -> str:
        roll, i = self.year.rng.random(), RISK_ORDER.index(colour)
        if roll < 0.5:
            return RISK_ORDER[min(i + 1, 2)]  # most cases get better
        return RISK_ORDER[max(i - 1, 0)] if roll > 0.85 else colour

    def reports(self, when: datetime) -> None:
        rng = self.year.rng
        report = {"summary": "社会调查报告（演示数据）",
                  "findings": "性格、家庭环境、社会交往、成长经历及监护条件调查（虚构）",
                  "recommendations": "建议开展家庭教育指导", "submitted_to": [self.referrer]}
        self.year.at(when, self.act(WORKSTATION, "investigation-reports", **report))
        if rng.random() < 0.2:
            self.year.at(when + 3 * DAY, self.act(WORKSTATION, "investigation-reports",
                                                  **{**report, "summary": "社会调查报告（修订）"}))

    def sessions(self, when: datetime, last: datetime) -> None:
        rng = self.year.rng
        agencies, weights = zip(*cast.SESSION_WEIGHTS.items(), strict=True)
        while (when := when + rng.randint(5, 16) * DAY) < last:
            agency = rng.choices(agencies, weights)[0]
            self.year.at(when, self.act(
                agency, "sessions", held_on=when.date(), kind=rng.choice(cast.SESSION_KINDS[agency]),
                attendees=["服务对象（示例）"], guardian_present=rng.random() < 0.75,
                notes="服务记录（演示数据）"))

    def close(self, when: datetime) -> None:
        year, story = self.year, self.story
        year.at(when, self.act(WORKSTATION, "close", outcome="service_provided",
                               evaluation="服务目标基本达成（演示数据）"))
        year.at(when + 2 * DAY, year.act(story, WORKSTATION, "complete",
                                         outcome="service_provided", summary="个案已结案"))
        if year.rng.random() < 0.1:
            year.at(when + 3 * DAY, year.act(story, self.referrer, "reopen", reason="请补充回访情况"))
            year.at(when + 6 * DAY, year.act(story, WORKSTATION, "complete",
                                             outcome="service_provided", summary="已补充回访"))
        year.at(when + 8 * DAY, year.act(story, self.referrer, "acknowledge", note="收悉"))
