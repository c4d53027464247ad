"""Every statement points at the line of the operation that emitted it.

The expected lines are found in the migration files by their text (the
top-level calls of the ``operations = [...]`` list, at its indentation),
independently of the ``ast`` reading sqlreview does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.cli.gitproject import sqlreview

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_migrations"


def operation_lines(path: Path) -> tuple[int, list[int]]:
    """The ``class Migration`` line and the first line of each top-level operation."""
    lines = path.read_text(encoding="utf-8").splitlines()
    class_line = next(n for n, text in enumerate(lines, 1) if text.startswith("class Migration"))
    start = next(n for n, text in enumerate(lines, 1) if text.strip().startswith("operations = ["))
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip()) + 4
    call = re.compile(rf"^ {{{indent}}}[A-Za-z_][\w.]*\(")
    return class_line, [n for n, text in enumerate(lines[start:], start + 1) if call.match(text)]


@pytest.fixture(scope="module")
def library(pg_server: ScratchServer) -> dict[str, Any]:
    result = sqlreview("library", "--pythonpath", str(SAMPLE), "--settings",
                       "sampleproject.settings", "--format", "json", "--fail-on", "never",
                       "-q", "--scratch-url", pg_server.url, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_each_statement_is_on_its_operations_line(library: dict[str, Any]) -> None:
    checked = 0
    for migration in library["migrations"]:
        for statement in migration["statements"]:
            path = ROOT / statement["file"]
            assert path.is_file(), statement["file"]
            assert path.name == f"{migration['name']}.py"
            class_line, starts = operation_lines(path)
            if statement["kind"] in ("TRANSACTION", "ERROR"):
                assert statement["line"] == class_line, (migration["name"], statement["sql"])
            else:
                assert statement["line"] in starts, (migration["name"], statement["sql"])
                checked += 1
    assert checked > 20


def test_a_multi_operation_migration_has_one_line_per_operation(
        library: dict[str, Any]) -> None:
    item = next(m for m in library["migrations"] if m["name"].startswith("0008_"))
    path = ROOT / item["statements"][0]["file"]
    _class_line, starts = operation_lines(path)
    assert len(starts) == 2
    rows = [s for s in item["statements"] if s["kind"] != "TRANSACTION"]
    # Statements appear in operation order: the first operation's line, then the second's.
    assert [s["line"] for s in rows] == sorted(s["line"] for s in rows)
    assert {s["line"] for s in rows} == set(starts)


def test_run_python_and_run_sql_rows_have_their_lines(library: dict[str, Any]) -> None:
    kinds: dict[str, set[int]] = {}
    for migration in library["migrations"]:
        for statement in migration["statements"]:
            if statement["kind"] == "PYTHON" or "RunSQL" in (statement["operation"] or "") \
                    or (statement["operation"] or "").startswith("Raw SQL"):
                _class_line, starts = operation_lines(ROOT / statement["file"])
                assert statement["line"] in starts
                kinds.setdefault(statement["kind"], set()).add(statement["line"])
    assert "PYTHON" in kinds
    assert len(kinds) >= 2  # RunSQL rows too (their kind is the SQL's)
