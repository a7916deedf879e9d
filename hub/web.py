"""The web pages: home, workbench, statistics and the offline API docs (data fetched client-side)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, render_template, request, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from domain.case_rules import SESSION_KINDS
from domain.referral import CATEGORIES, OUTCOMES, RISK_LEVELS, RULES, URGENCY_HOURS
from hub import i18n

bp = Blueprint("web", __name__, template_folder="templates")

SWAGGER_ASSETS = "/docs/api/assets/"
REFERRAL_STATUSES = ("submitted", "info_requested", "accepted", "completed", "closed",
                     "declined", "withdrawn")
CASE_STATUSES = ("open", "closed")
STATS_GROUPS = ("category", "to_agency", "status", "month")

# The body of each referral action as the contract gives it: (field, input kind, required).
ACTION_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "accept": [("assignee", "text", False), ("note", "textarea", False)],
    "decline": [("reason", "textarea", True)],
    "redirect": [("to_agency", "agency", True), ("reason", "textarea", True)],
    "request-info": [("question", "textarea", True)],
    "provide-info": [("answer", "textarea", True)],
    "withdraw": [("reason", "textarea", True)],
    "notes": [("text", "textarea", True)],
    "complete": [("outcome", "outcome", True), ("summary", "textarea", True)],
    "acknowledge": [("note", "textarea", False)],
    "reopen": [("reason", "textarea", True)],
}

# Case actions the workbench offers (the case's `allowed_actions` says which are open now).
CASE_ACTION_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "risk-assessments": [("level", "risk", True), ("factors", "list", True),
                         ("note", "textarea", False)],
    "plan": [("goals", "list", True), ("sessions_planned", "int", True), ("review_on", "date", True)],
    "sessions": [("held_on", "date", True), ("kind", "session_kind", True),
                 ("attendees", "list", True), ("guardian_present", "bool", False),
                 ("notes", "textarea", True)],
    "investigation-reports": [("summary", "textarea", True), ("findings", "textarea", True),
                              ("recommendations", "textarea", True),
                              ("submitted_to", "list", True)],
    "supervision-reviews": [("reviewer", "text", True), ("advice", "textarea", True)],
    "participants": [("agency", "agency", True), ("role", "text", True)],
    "close": [("outcome", "outcome", True), ("evaluation", "textarea", True)],
}
# Opening a case from an accepted referral (POST /cases with the referral's id).
OPEN_CASE_FIELDS: list[tuple[str, str, bool]] = [("lead_worker", "text", True)]

# Pages load only their own scripts and styles; images may be blobs (the token-fetched plot).
PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'")
# Swagger UI sets inline styles and shows data: images.
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")


def page_config(lang: str) -> dict[str, Any]:
    """What the pages' scripts need: labels, enums and the action rules."""
    return {
        "lang": lang, "labels": i18n.labels(lang), "api": "/api/v1",
        "statuses": list(REFERRAL_STATUSES), "case_statuses": list(CASE_STATUSES),
        "categories": list(CATEGORIES), "urgencies": list(URGENCY_HOURS),
        "outcomes": list(OUTCOMES), "risk_levels": list(RISK_LEVELS),
        "stats_groups": list(STATS_GROUPS), "session_kinds": list(SESSION_KINDS),
        "case_actions": {a: [list(f) for f in fs] for a, fs in CASE_ACTION_FIELDS.items()},
        "open_case": [list(f) for f in OPEN_CASE_FIELDS],
        "actions": {action: {"side": who, "from": list(statuses),
                             "fields": [list(f) for f in ACTION_FIELDS[action]]}
                    for action, (who, statuses) in RULES.items() if action in ACTION_FIELDS},
    }


def render_page(template: str, page: str, csp: str = PAGE_CSP) -> Response:
    """Render a page in the visitor's language, remembering an explicit `?lang=`."""
    lang = i18n.language(request)
    html = render_template(template, page=page, lang=lang, html_lang=i18n.HTML_LANG[lang],
                           t=i18n.labels(lang), config=page_config(lang),
                           other_lang="en" if lang == "zh" else "zh")
    response = make_response(html)
    if request.args.get("lang") == lang:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.vary.add("Cookie")
    return response


@bp.get("/")
def home() -> Response:
    """What the hub is, and where to go."""
    return render_page("index.html", "home")


@bp.get("/app")
def workbench() -> Response:
    """Inbox, outbox and cases for a signed-in agency user."""
    return render_page("app.html", "app")


@bp.get("/stats")
def stats() -> Response:
    """Published statistics: a chart and a table, without personal data."""
    return render_page("stats.html", "stats")


@bp.get("/docs/api")
def api_docs() -> Response:
    """Interactive API docs (Swagger UI served from the installed package, no CDN)."""
    return render_page("docs_api.html", "docs", csp=DOCS_CSP)


@bp.get(SWAGGER_ASSETS + "<path:filename>")
def swagger_asset(filename: str) -> Response:
    """Swagger UI's scripts and styles from the `swagger-ui-bundle` package."""
    return send_from_directory(str(swagger_ui_path), filename, max_age=3600)
