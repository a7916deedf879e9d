"""The pages in a real headless Chromium against a live `hub serve` (DevTools protocol, no selenium)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.server import HubProcess, bearer, hub_env, referral_body, seeded_store

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))
                 if p), None)
HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"]
# Set HUB_SCREENSHOTS=<dir> to keep the screenshots for a look.
SHOTS = os.environ.get("HUB_SCREENSHOTS")


def wait_until(check: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


class Browser:
    """One headless Chromium tab driven over the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        import websocket

        self.process = subprocess.Popen(
            [str(CHROMIUM), *HEADLESS, "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = profile / "DevToolsActivePort"
        wait_until(lambda: port_file.exists() and port_file.read_text().strip(), what="DevTools")
        port = port_file.read_text().split()[0]
        tabs = wait_until(lambda: [t for t in requests.get(
            f"http://127.0.0.1:{port}/json/list", timeout=5).json() if t["type"] == "page"])
        self.socket = websocket.create_connection(tabs[0]["webSocketDebuggerUrl"], timeout=30,
                                                  suppress_origin=True)
        self.next_id = 0
        self.send("Page.enable")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command; its result (events in between are dropped)."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]  # type: ignore[no-any-return]

    def js(self, expression: str) -> Any:
        """Evaluate in the page (promises awaited); the value."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        wait_until(lambda: self.js(f"location.href === {json.dumps(url)} && "
                                   "document.readyState === 'complete'"), what=url)

    def wait_for(self, expression: str, timeout: float = 20.0) -> Any:
        """Poll `expression` until truthy; a page still loading counts as not yet."""
        guarded = f"(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()"
        return wait_until(lambda: self.js(guarded), timeout, expression)

    def text(self, selector: str) -> str:
        return str(self.js(f"(document.querySelector({json.dumps(selector)}) || {{}}).innerText"
                           " || ''"))

    def fill(self, selector: str, value: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")

    def click(self, selector: str) -> None:
        self.js(f"document.querySelector({json.dumps(selector)}).click()")

    def screenshot(self, name: str, tmp_path: Path) -> Path:
        """A PNG of the viewport (kept under HUB_SCREENSHOTS when that is set)."""
        folder = Path(SHOTS) if SHOTS else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.js("window.scrollTo(0, 0)")
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot")["data"]))
        return path

    def close(self) -> None:
        self.socket.close()
        self.process.kill()
        self.process.wait(30)


@pytest.fixture(scope="module", autouse=True)
def require_chromium() -> None:
    """Skip without Chromium — except in CI, where scripts/bootstrap installs it."""
    if CHROMIUM is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is required in CI (scripts/bootstrap installs it) and is missing.")
    pytest.skip("no Chromium installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, dict[str, str]]]:
    """`hub serve` on SQLite with two agencies (a referrer and a receiver) and their tokens."""
    tmp_path = tmp_path_factory.mktemp("live")
    with seeded_store("sqlite", tmp_path) as (settings, tokens), \
            HubProcess(hub_env(settings), tmp_path, workers=1) as server:
        yield server, tokens


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    chromium = Browser(tmp_path / "profile")
    yield chromium
    chromium.close()


def submit(server: HubProcess, tokens: dict[str, str], name: str) -> dict[str, Any]:
    answer = requests.post(server.url("/api/v1/referrals"), headers=bearer(tokens["referrer"]),
                           json=referral_body(tokens["receiver_agency"], name=name), timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def sign_in(browser: Browser, server: HubProcess, path: str, token: str) -> None:
    browser.goto(server.url(path))
    browser.fill("#token", token)
    browser.click("#signin-form button[type=submit]")
    browser.wait_for("document.body.classList.contains('is-signed-in')")


def open_referral(browser: Browser, referral_id: str) -> None:
    row = f"#list tr[data-id='{referral_id}'] button"
    browser.wait_for(f"!!document.querySelector({json.dumps(row)})")
    browser.click(row)
    browser.wait_for("!document.querySelector('#detail').hidden")


def test_dump_dom_shows_english_after_the_switch(live: tuple[HubProcess, dict[str, str]],
                                                 tmp_path: Path) -> None:
    server, _ = live
    dumped = subprocess.run(
        [str(CHROMIUM), *HEADLESS, f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", server.url("/?lang=en")],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert '<html lang="en">' in dumped
    assert "What the hub is" in dumped and "转介枢纽是什么" not in dumped


def test_language_defaults_to_chinese_and_the_switch_is_remembered(
        live: tuple[HubProcess, dict[str, str]], browser: Browser, tmp_path: Path) -> None:
    server, _ = live
    browser.goto(server.url("/"))
    assert browser.js("document.documentElement.lang") == "zh-CN"
    assert browser.text("h1") == "转介枢纽是什么"
    browser.screenshot("home-zh", tmp_path)
    browser.click("#lang-switch")
    browser.wait_for("document.documentElement.lang === 'en'")
    assert browser.text("h1") == "What the hub is"
    browser.screenshot("home-en", tmp_path)
    browser.goto(server.url("/stats"))
    assert browser.text("h1") == "Referral statistics"
    browser.click("#lang-switch")
    browser.wait_for("document.documentElement.lang === 'zh-CN'")
    assert browser.text("h1") == "转介统计公开"


def test_receiver_signs_in_sees_the_inbox_and_accepts_with_the_history_verified(
        live: tuple[HubProcess, dict[str, str]], browser: Browser, tmp_path: Path) -> None:
    server, tokens = live
    referral = submit(server, tokens, name="示例张三")
    sign_in(browser, server, "/app", tokens["receiver"])
    open_referral(browser, referral["id"])
    assert "示例张三" in browser.text("#detail-fields")
    assert "已提交" in browser.text("#detail-fields")
    browser.wait_for("document.querySelectorAll('#timeline .event').length === 1")
    assert "哈希链校验通过" in browser.text("#verified")
    browser.click("#action-buttons [data-action=accept]")
    browser.wait_for("!!document.querySelector('#act-assignee')")
    browser.fill("#act-assignee", "worker-7")
    browser.click("#action-form button[type=submit]")
    browser.wait_for("document.querySelectorAll('#timeline .event').length === 2")
    assert "已接收" in browser.text("#detail-fields")
    assert "worker-7" in browser.text("#timeline")
    browser.screenshot("workbench-zh", tmp_path)
    stored = requests.get(server.url(f"/api/v1/referrals/{referral['id']}"),
                          headers=bearer(tokens["referrer"]), timeout=10).json()
    assert (stored["status"], stored["assignee"]) == ("accepted", "worker-7")


def test_a_stale_version_is_shown_as_a_readable_problem(
        live: tuple[HubProcess, dict[str, str]], browser: Browser) -> None:
    server, tokens = live
    referral = submit(server, tokens, name="示例李四")
    sign_in(browser, server, "/app?lang=en", tokens["receiver"])
    open_referral(browser, referral["id"])
    answer = requests.post(server.url(f"/api/v1/referrals/{referral['id']}/request-info"),
                           headers=bearer(tokens["receiver"]), json={"question": "Which school?"},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    browser.click("#action-buttons [data-action=decline]")
    browser.wait_for("!!document.querySelector('#act-reason')")
    browser.fill("#act-reason", "out of scope")
    browser.click("#action-form button[type=submit]")
    browser.wait_for("!document.querySelector('#action-problem').hidden")
    assert "412" in browser.text("#action-problem")


def test_referrer_sees_the_outbox_in_english(live: tuple[HubProcess, dict[str, str]],
                                             browser: Browser, tmp_path: Path) -> None:
    server, tokens = live
    referral = submit(server, tokens, name="Sample Wang")
    sign_in(browser, server, "/app?lang=en", tokens["referrer"])
    browser.click("#tab-outbox")
    open_referral(browser, referral["id"])
    assert "Submitted" in browser.text("#detail-fields")
    assert "Family-education guidance" in browser.text("#detail-fields")
    assert browser.js("[...document.querySelectorAll('#action-buttons button')]"
                      ".map(b => b.dataset.action).sort().join()") == "withdraw"
    browser.screenshot("workbench-en", tmp_path)


def test_api_docs_render_from_local_assets_only(live: tuple[HubProcess, dict[str, str]],
                                                browser: Browser, tmp_path: Path) -> None:
    server, _ = live
    browser.goto(server.url("/docs/api"))
    browser.wait_for("document.querySelectorAll('.opblock').length > 5")
    origins = browser.js("[...new Set(performance.getEntriesByType('resource')"
                         ".map(e => new URL(e.name).origin))]")
    assert origins == [server.base]
    browser.screenshot("docs", tmp_path)


def test_receiver_opens_a_case_and_records_a_home_visit(
        live: tuple[HubProcess, dict[str, str]], browser: Browser, tmp_path: Path) -> None:
    server, tokens = live
    referral = submit(server, tokens, name="示例赵五")
    accepted = requests.post(server.url(f"/api/v1/referrals/{referral['id']}/accept"),
                             headers=bearer(tokens["receiver"]), json={}, timeout=10)
    assert accepted.status_code == 200, accepted.text
    sign_in(browser, server, "/app", tokens["receiver"])
    open_referral(browser, referral["id"])
    browser.click("#action-buttons [data-action=open-case]")
    browser.wait_for("!!document.querySelector('#act-lead_worker')")
    browser.fill("#act-lead_worker", "社工小陈")
    browser.click("#action-form button[type=submit]")
    browser.wait_for("document.querySelector('#action-status').innerText.includes('开立个案')")
    assert browser.text("#detail-title") == "个案详情"
    browser.wait_for("!!document.querySelector('#action-buttons [data-action=sessions]')")
    browser.click("#action-buttons [data-action=sessions]")
    browser.wait_for("!!document.querySelector('#act-held_on')")
    for selector, value in (("#act-held_on", "2026-01-05"), ("#act-kind", "home_visit"),
                            ("#act-attendees", "社工小陈\n监护人"), ("#act-notes", "家访一次")):
        browser.fill(selector, value)
    browser.click("#act-guardian_present")
    browser.click("#action-form button[type=submit]")
    browser.wait_for("document.querySelector('#action-status').innerText.includes('记录服务')")
    assert "家访" in browser.text("#detail-fields")
    browser.screenshot("case-zh", tmp_path)
    case_id = requests.get(server.url(f"/api/v1/referrals/{referral['id']}"),
                           headers=bearer(tokens["receiver"]), timeout=10).json()["case_id"]
    case = requests.get(server.url(f"/api/v1/cases/{case_id}"),
                        headers=bearer(tokens["receiver"]), timeout=10).json()
    assert case["sessions"][0]["attendees"] == ["社工小陈", "监护人"]
    assert case["sessions"][0]["guardian_present"] is True


def test_statistics_page_shows_the_chart_and_the_table_after_sign_in(
        live: tuple[HubProcess, dict[str, str]], browser: Browser, tmp_path: Path) -> None:
    server, tokens = live
    submit(server, tokens, name="示例孙六")
    sign_in(browser, server, "/stats", tokens["referrer"])
    browser.wait_for("document.querySelectorAll('#stats-table tbody tr').length > 0")
    assert "家庭教育指导" in browser.text("#stats-table")
    assert "办结率" in browser.text("#stats-table thead")
    browser.wait_for("document.querySelector('#plot').naturalWidth > 0")
    browser.fill("#group_by", "status")
    browser.click("#stats-form button[type=submit]")
    browser.wait_for("document.querySelector('#stats-table').innerText.includes('已提交')")
    browser.screenshot("stats-zh", tmp_path)
