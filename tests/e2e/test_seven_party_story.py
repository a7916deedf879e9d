# ruff: noqa: F811  (pytest fixtures imported from tests.case_world)
"""The 七位一体 story over HTTP: referral → case with seven participants → closure → the loop
closed with the procuratorate, checking every party's view at every step."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from domain.chain import canonical_json
from tests.case_world import PARTNERS, SUBJECT, HttpWorld, world  # noqa: F401 (fixture)

SEVEN = ["workstation", *PARTNERS]


def case_views(world: HttpWorld, case_id: str) -> dict[str, Any]:
    """Every party's answer to GET /cases/{id}, checked for its kind of view."""
    views = {}
    for agency in SEVEN:
        view = world.ok(world.get(agency, f"/cases/{case_id}", **{"X-Purpose": "story"}))
        assert view["view"] == "full" and view["subject"] == SUBJECT, agency
        views[agency] = view
    reduced = world.ok(world.get("procuratorate", f"/cases/{case_id}"))
    assert reduced["view"] == "outcome_only"
    assert not {"subject", "risk_level", "sessions", "plan", "evaluation"} & set(reduced)
    views["procuratorate"] = reduced
    assert world.get("school", f"/cases/{case_id}").status_code == 404
    masked = world.ok(world.get("inspector", f"/cases/{case_id}"))
    assert masked["view"] == "masked" and masked["subject"]["id_number"] == "***"
    views["inspector"] = masked
    assert world.get("far-inspector", f"/cases/{case_id}").status_code == 404
    return views


def act(world: HttpWorld, who: str, case_id: str, action: str, body: dict[str, Any]) -> Any:
    return world.ok(world.post(who, f"/cases/{case_id}/{action}", body))


def referral_status(world: HttpWorld, referral_id: str) -> str:
    return str(world.ok(world.get("procuratorate", f"/referrals/{referral_id}"))["status"])


def test_the_seven_party_story(world: HttpWorld) -> None:
    referral = world.ok(world.post("procuratorate", "/referrals", {
        "to_agency": "workstation", "category": "family_education_guidance",
        "urgency": "urgent", "reason": "涉案未成年人，监护人需家庭教育指导（示例）",
        "subject": SUBJECT, "consent": {"basis": "legal_mandate"}}), 201)
    rid = referral["id"]
    world.ok(world.post("workstation", f"/referrals/{rid}/accept", {"assignee": "示例社工甲"}))
    case = world.ok(world.post("workstation", "/cases", {
        "referral_id": rid, "lead_worker": "示例社工甲",
        "participants": [{"agency": a, "role": "partner"} for a in PARTNERS]}), 201)
    cid = case["id"]
    views = case_views(world, cid)
    assert [p["agency"] for p in views["workstation"]["participants"]] == SEVEN
    assert views["procuratorate"]["status"] == "open"

    act(world, "workstation", cid, "risk-assessments", {
        "level": "orange", "factors": ["监护能力不足", "辍学风险"]})
    views = case_views(world, cid)
    assert {views[a]["risk_level"] for a in SEVEN} == {"orange"}
    assert views["workstation"]["next_review_on"] == "2024-03-31"

    act(world, "workstation", cid, "investigation-reports", {
        "summary": "社会调查报告（示例）", "findings": "性格内向，家庭监护薄弱（虚构）",
        "recommendations": "建议开展家庭教育指导并附条件不起诉", "submitted_to": ["procuratorate"]})
    views = case_views(world, cid)
    sent = views["procuratorate"]["reports_for_you"]
    assert [r["number"] for r in sent] == [1]
    report = world.ok(world.get("procuratorate", f"/cases/{cid}/investigation-reports/1"))
    assert hashlib.sha256(canonical_json(report["content"])).hexdigest() == report["sha256"]
    assert report["sha256"] == sent[0]["sha256"]
    assert world.get("school", f"/cases/{cid}/investigation-reports/1").status_code == 404

    act(world, "workstation", cid, "plan", {
        "goals": ["改善亲子沟通", "恢复正常上学"], "sessions_planned": 6,
        "review_on": "2024-03-20"})
    assert case_views(world, cid)["ngc"]["next_review_on"] == "2024-03-20"

    world.clock.advance(days=7)
    act(world, "workstation", cid, "sessions", {
        "held_on": "2024-03-07", "kind": "home_visit", "attendees": ["示例小明", "示例王某"],
        "guardian_present": True, "notes": "深度家访（示例）"})
    act(world, "womens-federation", cid, "sessions", {
        "held_on": "2024-03-08", "kind": "parent_school", "attendees": ["示例王某"],
        "guardian_present": True, "notes": "家长学校（示例）"})
    views = case_views(world, cid)
    assert [s["agency"] for s in views["education"]["sessions"]] == [
        "workstation", "womens-federation"]
    assert views["inspector"]["sessions"][0]["notes"] == "***"

    act(world, "workstation", cid, "supervision-reviews", {
        "reviewer": "示例督导", "advice": "关注孩子返校后的同伴关系"})
    before_reassessment = quote(world.clock.now.isoformat())
    world.clock.advance(days=12)
    act(world, "workstation", cid, "risk-assessments", {
        "level": "blue", "factors": ["监护改善"], "note": "监护人参加家长学校，孩子已返校"})
    views = case_views(world, cid)
    assert views["civil-affairs"]["risk_level"] == "blue"
    assert views["civil-affairs"]["next_review_on"] == "2024-06-18"
    then = world.ok(world.get("workstation", f"/cases/{cid}?as_of={before_reassessment}"))
    assert then["risk_level"] == "orange" and len(then["supervision_reviews"]) == 1

    act(world, "workstation", cid, "close", {
        "outcome": "service_provided", "evaluation": "目标基本达成，家庭监护改善"})
    views = case_views(world, cid)
    assert (views["procuratorate"]["status"], views["procuratorate"]["outcome"]) == (
        "closed", "service_provided")
    assert views["youth-league"]["evaluation"] == "目标基本达成，家庭监护改善"
    assert referral_status(world, rid) == "accepted"  # closing the case leaves the referral

    world.ok(world.post("workstation", f"/referrals/{rid}/complete", {
        "outcome": "service_provided", "summary": "个案已结案，详见个案结果"}))
    assert referral_status(world, rid) == "completed"
    world.ok(world.post("procuratorate", f"/referrals/{rid}/reopen",
                        {"reason": "请补充返校情况"}))
    assert referral_status(world, rid) == "accepted"
    world.ok(world.post("workstation", f"/referrals/{rid}/complete", {
        "outcome": "service_provided", "summary": "已返校，出勤正常"}))
    world.ok(world.post("procuratorate", f"/referrals/{rid}/acknowledge", {"note": "收悉"}))
    assert referral_status(world, rid) == "closed"
    assert world.post("workstation", f"/cases/{cid}/sessions", {
        "held_on": "2024-03-20", "kind": "phone_visit", "attendees": [],
        "guardian_present": False, "notes": "n"}).status_code == 409
