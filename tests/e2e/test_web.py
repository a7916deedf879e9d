"""The web pages over the Flask test client: they render, speak zh and en, and hold no personal data."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from domain.case import Case
from domain.case_rules import SESSION_KINDS
from domain.referral import CATEGORIES, OUTCOMES, RISK_LEVELS, RULES, URGENCY_HOURS, Referral
from hub import i18n, web
from tests.e2e.hubclient import SUBJECT, World

PAGES = ["/", "/app", "/stats", "/docs/api"]


def config_of(html: str) -> dict[str, Any]:
    """The JSON the page hands its scripts."""
    found = re.search(r'<script type="application/json" id="hub-config">(.*?)</script>', html, re.DOTALL)
    assert found, "page has no hub-config block"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def event_types() -> list[str]:
    """Every referral and case event type the domain records."""
    return [cls.TYPE for aggregate in (Referral, Case) for cls in vars(aggregate).values()
            if isinstance(cls, type) and getattr(cls, "TYPE", "")]


class TestPages:
    @pytest.mark.parametrize("path", PAGES)
    def test_each_page_renders_in_chinese_by_default(self, client: Any, path: str) -> None:
        answer = client.get(path)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert answer.mimetype == "text/html"
        assert '<html lang="zh-CN">' in html and "转介枢纽" in html
        assert "Set-Cookie" not in answer.headers

    @pytest.mark.parametrize("path", PAGES)
    def test_each_page_renders_in_english_when_asked(self, client: Any, path: str) -> None:
        html = client.get(path, query_string={"lang": "en"}).get_data(as_text=True)
        assert '<html lang="en">' in html and "Referral Hub" in html
        assert config_of(html)["labels"]["status.accepted"] == "Accepted"

    def test_the_chosen_language_is_remembered_in_a_cookie(self, client: Any) -> None:
        answer = client.get("/", query_string={"lang": "en"})
        assert "hub_lang=en" in answer.headers["Set-Cookie"]
        assert '<html lang="en">' in client.get("/stats").get_data(as_text=True)
        client.get("/", query_string={"lang": "zh"})
        assert '<html lang="zh-CN">' in client.get("/stats").get_data(as_text=True)

    def test_an_unknown_language_falls_back_to_chinese_and_is_not_remembered(
            self, client: Any) -> None:
        answer = client.get("/", query_string={"lang": "fr"})
        assert '<html lang="zh-CN">' in answer.get_data(as_text=True)
        assert "Set-Cookie" not in answer.headers

    @pytest.mark.parametrize("path", PAGES)
    def test_every_script_and_stylesheet_is_served_locally(self, client: Any, path: str) -> None:
        html = client.get(path).get_data(as_text=True)
        assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
        assert assets
        for asset in assets:
            assert asset.startswith("/"), f"{asset} is not served by the hub"
            assert client.get(asset).status_code == 200, asset

    @pytest.mark.parametrize("path", PAGES)
    def test_pages_forbid_foreign_scripts(self, client: Any, path: str) -> None:
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy

    def test_home_links_to_the_pages_the_docs_and_the_openapi_document(self, client: Any) -> None:
        html = client.get("/").get_data(as_text=True)
        for target in ('href="/app"', 'href="/stats"', 'href="/docs/api"',
                       'href="/api/v1/openapi.json"'):
            assert target in html

    def test_labelled_inputs_on_the_workbench(self, client: Any) -> None:
        html = client.get("/app").get_data(as_text=True)
        inputs = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
        assert "token" in inputs
        for name in inputs:
            assert f'for="{name}"' in html, f"input {name} has no label"


class TestApiDocs:
    def test_swagger_ui_assets_come_from_the_installed_package(self, client: Any) -> None:
        for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
            answer = client.get(web.SWAGGER_ASSETS + name)
            assert answer.status_code == 200 and len(answer.data) > 10_000

    def test_the_api_blueprint_viewer_points_at_the_same_assets(self, client: Any) -> None:
        html = client.get("/api/v1/docs").get_data(as_text=True)
        assert f'src="{web.SWAGGER_ASSETS}swagger-ui-bundle.js"' in html

    def test_an_unknown_asset_is_not_found(self, client: Any) -> None:
        assert client.get(web.SWAGGER_ASSETS + "nope.js").status_code == 404
        assert client.get(web.SWAGGER_ASSETS + "../../../pyproject.toml").status_code == 404


class TestLabels:
    def test_both_languages_label_the_same_keys_with_text(self) -> None:
        assert i18n.LABELS["zh"].keys() == i18n.LABELS["en"].keys()
        for lang in i18n.LANGUAGES:
            assert all(value.strip() for value in i18n.LABELS[lang].values())

    @pytest.mark.parametrize(("prefix", "values"), [
        ("status", web.REFERRAL_STATUSES), ("status", web.CASE_STATUSES),
        ("category", CATEGORIES), ("urgency", tuple(URGENCY_HOURS)), ("outcome", OUTCOMES),
        ("risk", RISK_LEVELS), ("act", tuple(web.ACTION_FIELDS)), ("event", tuple(event_types())),
        ("group", web.STATS_GROUPS), ("session", SESSION_KINDS),
    ])
    def test_every_contract_value_has_a_chinese_and_an_english_label(
            self, prefix: str, values: tuple[str, ...]) -> None:
        for value in values:
            zh, en = i18n.LABELS["zh"][f"{prefix}.{value}"], i18n.LABELS["en"][f"{prefix}.{value}"]
            assert re.search(r"[\u4e00-\u9fff]", zh), f"{prefix}.{value} zh is not Chinese: {zh}"
            assert zh != en

    def test_the_glossary_words_are_used(self) -> None:
        zh = i18n.LABELS["zh"]
        assert (zh["status.submitted"], zh["status.accepted"], zh["status.declined"],
                zh["status.info_requested"]) == ("已提交", "已接收", "已拒绝", "待补充材料")
        assert zh["category.family_education_guidance"] == "家庭教育指导"

    def test_the_pages_offer_exactly_the_contracts_actions_and_rules(self, client: Any) -> None:
        actions = config_of(client.get("/app").get_data(as_text=True))["actions"]
        expected = {a: (who, list(froms)) for a, (who, froms) in RULES.items() if a != "open-case"}
        assert {a: (r["side"], r["from"]) for a, r in actions.items()} == expected


class TestNoPersonalData:
    @pytest.fixture
    def world(self, client: Any) -> World:
        built = World(client).build()
        built.new_referral()
        return built

    @pytest.mark.parametrize("path", PAGES)
    @pytest.mark.parametrize("user", [None, "receiver"])
    def test_pages_never_carry_a_subjects_data(self, world: World, path: str,
                                               user: str | None) -> None:
        headers = world.headers[user] if user else {}
        html = world.client.get(path, headers=headers).get_data(as_text=True)
        for value in (SUBJECT["name"], SUBJECT["id_number"], SUBJECT["phone"],
                      SUBJECT["address"], SUBJECT["guardian"]["name"]):
            assert value not in html
