"""The dependency rule: domain knows nothing of the web, brokers, databases or outer layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "domain": {"flask", "flask_smorest", "marshmallow", "kafka", "psycopg", "hub", "adapters",
               "projections", "webargs", "apispec"},
    "projections": {"flask", "flask_smorest", "marshmallow", "kafka", "hub", "adapters"},
    "adapters": {"hub", "flask", "flask_smorest"},
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_inward(layer: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[layer])
        for path in (ROOT / layer).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import flask\nfrom kafka.producer import KafkaProducer\n")
    assert imported_roots(module) & FORBIDDEN["domain"] == {"flask", "kafka"}
