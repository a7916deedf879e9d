"""`hub demo` on a temporary store: the year it writes has the expected shape, seen over HTTP."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from adapters.settings import Settings
from domain.chain import canonical_json
from hub import create_app
from hub.cli import main
from tests.stores import TEST_CIPHER_KEY


def test_demo_fills_a_fresh_store_and_refuses_a_second_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    env = {"HUB_DATABASE_URL": url, "HUB_CIPHER_KEY": TEST_CIPHER_KEY}
    tokens_file = tmp_path / "tokens.json"
    result = CliRunner().invoke(main, ["demo", "--seed", "3", "--tokens-json", str(tokens_file)],
                                env=env)
    assert result.exit_code == 0, result.output
    assert "Demo tokens" in result.output and "cases opened" in result.output
    tokens = {t["agency"]: {"Authorization": f"Bearer {t['token']}"}
              for t in json.loads(tokens_file.read_text())}
    assert len(tokens) == 11

    again = CliRunner().invoke(main, ["demo"], env=env)
    assert again.exit_code != 0 and "already has events" in again.output

    flask_app = create_app({"TESTING": True, "HUB_SETTINGS": Settings(
        database_url=url, cipher_key=TEST_CIPHER_KEY)})
    try:
        check_the_year(flask_app.test_client(), tokens)
    finally:
        flask_app.extensions["hub"].services["boards"].close()
        flask_app.extensions["hub"].app.close()


def check_the_year(client: Any, tokens: dict[str, dict[str, str]]) -> None:
    def get(agency: str, path: str) -> Any:
        answer = client.get(f"/api/v1{path}", headers=tokens[agency])
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    outbox = get("demo-procuratorate", "/referrals?box=outbox&limit=200")["items"]
    statuses = Counter(r["status"] for r in outbox)
    assert len(outbox) >= 40 and {"closed", "declined", "accepted", "submitted"} <= set(statuses)
    assert any(r["overdue"] and r["escalated_at"] for r in outbox)
    assert sum(1 for r in outbox if r["case_id"]) >= 30

    cases = get("demo-workstation", "/cases?limit=200")["items"]
    assert {c["status"] for c in cases} == {"open", "closed"}
    assert all(len(c["participants"]) == 7 for c in cases)
    assert all("（示例）" in c["subject"]["name"] for c in cases)
    summary = get("demo-workstation", "/cases/summary")
    assert summary["open_cases"] == sum(summary["open_by_risk_level"].values()) > 0

    changed, by = 0, set[str]()
    for item in cases[:15]:
        case = get("demo-workstation", f"/cases/{item['id']}")
        changed += len({a["level"] for a in case["risk_assessments"]}) > 1
        by |= {s["agency"] for s in case["sessions"]}
    assert changed > 0 and len(by) >= 4
    with_report = next(c for c in cases if c["investigation_reports"])
    report = get("demo-procuratorate", f"/cases/{with_report['id']}/investigation-reports/1")
    assert hashlib.sha256(canonical_json(report["content"])).hexdigest() == report["sha256"]
    masked = get("demo-inspection", "/cases?limit=1")["items"][0]
    assert masked["subject"]["name"].endswith("*")
