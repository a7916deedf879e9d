"""The demo's fictional district (示例区): its agencies, its people and the words of their files."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from domain.base import Caller

DISTRICT = "hubei/jingmen/shili"  # 示例区: a district that does not exist
CITY = "hubei/jingmen"

# slug -> (name, kind, jurisdiction); the seven parties, the workstation, and others
AGENCIES: dict[str, tuple[str, str, str]] = {
    "demo-procuratorate": ("示例区人民检察院", "procuratorate", DISTRICT),
    "demo-ngc": ("示例区关心下一代工作委员会", "next_generation_committee", DISTRICT),
    "demo-youth-league": ("共青团示例区委员会", "youth_league", DISTRICT),
    "demo-womens-federation": ("示例区妇女联合会", "womens_federation", DISTRICT),
    "demo-education": ("示例区教育局", "education", DISTRICT),
    "demo-civil-affairs": ("示例区民政局", "civil_affairs", DISTRICT),
    "demo-social-work": ("示例益行社会工作服务中心", "social_work_firm", DISTRICT),
    "demo-workstation": ("示例区涉案未成年人家庭教育指导工作站", "workstation", DISTRICT),
    "demo-station": ("示例街道社会工作服务站", "social_work_station", DISTRICT),
    "demo-school": ("示例区第一中学", "school", DISTRICT),
    "demo-inspection": ("示例市民政局督查室", "civil_affairs", CITY),
}
WORKSTATION = "demo-workstation"
PARTNERS = ["demo-ngc", "demo-youth-league", "demo-womens-federation", "demo-education",
            "demo-civil-affairs", "demo-social-work"]
ROLES = {"demo-ngc": "mentoring", "demo-youth-league": "volunteers",
         "demo-womens-federation": "parent_guidance", "demo-education": "schooling",
         "demo-civil-affairs": "assistance", "demo-social-work": "social_investigation"}
# agency -> session kinds it holds
SESSION_KINDS = {
    WORKSTATION: ("home_visit", "phone_visit", "individual_guidance"),
    "demo-social-work": ("home_visit", "individual_guidance", "group_class"),
    "demo-womens-federation": ("parent_school", "home_visit"),
    "demo-education": ("school_visit",), "demo-ngc": ("individual_guidance",),
    "demo-youth-league": ("group_class",), "demo-civil-affairs": ("home_visit",),
}
SESSION_WEIGHTS = {WORKSTATION: 5, "demo-social-work": 4, "demo-womens-federation": 3,
                   "demo-education": 2, "demo-ngc": 1, "demo-youth-league": 1,
                   "demo-civil-affairs": 1}
# agency -> its demo users
USERS = {WORKSTATION: ["ws-li", "ws-wang"], "demo-social-work": ["sw-zhao"],
         "demo-procuratorate": ["pro-chen"], "demo-womens-federation": ["wf-liu"],
         "demo-education": ["edu-sun"], "demo-ngc": ["ngc-zhou"],
         "demo-youth-league": ["yl-wu"], "demo-civil-affairs": ["ca-zheng"],
         "demo-station": ["st-feng"], "demo-school": ["sch-he"]}

SURNAMES = "张王李赵陈刘杨黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["雨涵", "子轩", "欣怡", "浩然", "梓萱", "宇航", "思远", "佳怡", "俊杰", "一诺",
         "明轩", "诗琪", "博文", "雅琳", "天佑", "可馨"]
ADULT_GIVEN = ["建国", "秀英", "志强", "桂兰", "国华", "丽娟", "海涛", "春梅"]
FACTORS = ["监护能力不足", "父母外出务工", "辍学风险", "亲子沟通不畅", "沉迷网络", "不良交友",
           "家庭经济困难", "单亲家庭", "情绪问题", "学业困难"]
REASONS = ["涉案未成年人，监护人需接受家庭教育指导（演示数据）",
           "附条件不起诉考验期内的帮教与家庭教育指导（演示数据）",
           "涉罪未成年人社会调查及后续帮教（演示数据）"]
IMPROVE = ["监护人按时参加家长学校，亲子关系改善", "孩子已返校，出勤正常", "不良交友已切断"]
WORSEN = ["孩子再次离家出走，需加强干预", "监护人外出，孩子无人照看", "学校反映旷课增多"]


def hub_admin() -> Caller:
    return Caller(agency="hub", user="hub-admin", role="hub_admin")


def staff(agency: str, rng: random.Random) -> Caller:
    """A staff member of `agency` acting in the demo."""
    return Caller(agency=agency, user=rng.choice(USERS[agency]), role="staff",
                  jurisdiction=AGENCIES[agency][2])


def subject(rng: random.Random, number: int, today: date) -> dict[str, Any]:
    """A fictional minor: marked （示例）, with an ID number no region has (000000…)."""
    surname = rng.choice(SURNAMES)
    born = date(today.year - rng.randint(12, 17), rng.randint(1, 12), rng.randint(1, 28))
    relation = rng.choice(["mother", "father", "grandmother", "grandfather"])
    return {
        "name": f"{surname}{rng.choice(GIVEN)}（示例）",
        "id_number": f"000000{born:%Y%m%d}{number:04d}", "birth_date": born.isoformat(),
        "gender": rng.choice(["male", "female"]), "phone": f"000{rng.randint(0, 99999999):08d}",
        "address": f"示例区虚构路{rng.randint(1, 300)}号",
        "guardian": {"name": f"{surname}{rng.choice(ADULT_GIVEN)}（示例）", "relation": relation,
                     "phone": f"000{rng.randint(0, 99999999):08d}"},
    }
