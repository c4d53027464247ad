"""A parse error names its position instead of echoing the rest of the input.

An unterminated quote makes the parser quote everything after it; the report
used to repeat that in the message of every format (a 1 MB input gave 5.4 MB
of Markdown). Messages are now one short line with the line and column of the
error; JSON still carries the statement's own text in ``sql``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions
from sqlreview.report import FORMATS
from tests.support.cli import run_sqlreview

MESSAGE_BOUND = 300  # characters: what a reader can take in at a glance


def sqlreview_sql(*arguments: str) -> subprocess.CompletedProcess[str]:
    return run_sqlreview("sql", *arguments, timeout=120)


def big_input_with_an_unterminated_quote(directory: Path) -> tuple[Path, int]:
    rows = "".join(f"INSERT INTO t VALUES ({i}, {i * 7});\n" for i in range(40_000))
    path = directory / "big.sql"
    path.write_text("SELECT 1;\nSELECT 2;\nSELECT 'oops;\n" + rows, encoding="utf-8")
    return path, path.stat().st_size


@pytest.mark.parametrize("output_format", sorted(set(FORMATS) - {"json"}))
def test_reports_stay_small_for_a_megabyte_of_unterminated_quote(
        tmp_path: Path, output_format: str) -> None:
    path, size = big_input_with_an_unterminated_quote(tmp_path)
    assert size > 900_000
    completed = sqlreview_sql("--format", output_format, str(path))
    assert completed.returncode == 1, completed.stderr
    assert "SR001" in completed.stdout
    assert len(completed.stdout) < 20_000
    # The text report wraps its lines: read it as words.
    assert "line 3, column 8" in " ".join(completed.stdout.split())


def test_json_keeps_the_statement_and_a_short_message(tmp_path: Path) -> None:
    path, size = big_input_with_an_unterminated_quote(tmp_path)
    completed = sqlreview_sql("--format", "json", str(path))
    assert completed.returncode == 1, completed.stderr
    document = json.loads(completed.stdout)
    broken = document["statements"][2]
    assert broken["line"] == 3
    assert broken["sql"].startswith("SELECT 'oops;")
    assert len(broken["sql"]) > size - 100  # the statement as written, to the end of input
    assert len(broken["error"]) < MESSAGE_BOUND
    assert "\n" not in broken["error"]
    assert broken["error"].endswith("(line 3, column 8)")
    assert [len(f["message"]) < MESSAGE_BOUND for f in broken["findings"]] == [True]
    # The JSON is about the size of the input, not a multiple of it.
    assert len(completed.stdout) < 1.2 * size


def analyze(sql: str, line_offset: int = 0) -> list[Any]:
    analyzer = Analyzer(AnalyzerOptions(pg_version=14))
    analyzer.feed(sql, line_offset=line_offset)
    return analyzer.finish().statements


@pytest.mark.parametrize(
    ("sql", "reason", "line", "column"),
    [
        ("SELECT 1;\nSELECT $$ abc\n" + "x\n" * 1000, "unterminated dollar-quoted string", 2, 8),
        ("SELECT 1;\n  SELECT 1 /* abc\n" + "y" * 5000, "unterminated /* comment", 2, 12),
        ('SELECT 1;\nSELECT "abc\n' + "z " * 5000, "unterminated quoted identifier", 2, 8),
        ("SELECT 'é€', 1;\nSELECT 'ü', E'abc" + "q" * 5000, "unterminated quoted string", 2, 13),
        ("SELECT 1;\n\nSELECT 1 FROM", "syntax error at end of input", 3, 14),
        ("SELECT 1;\nSELEC 2", 'syntax error at or near "SELEC"', 2, 1),
    ],
)
def test_parse_errors_give_line_and_column(sql: str, reason: str, line: int,
                                           column: int) -> None:
    broken = [s for s in analyze(sql) if s.error]
    assert len(broken) == 1
    message = broken[0].error
    assert message.startswith(reason)
    assert message.endswith(f"(line {line}, column {column})")
    assert len(message) < MESSAGE_BOUND
    assert broken[0].findings[0].message == message


def test_the_quoted_sql_is_cut_at_its_first_line_and_control_characters_are_visible() -> None:
    (broken,) = [s for s in analyze("SELECT 1;\nSELECT 'a\x1b[31mred\rb\ncd") if s.error]
    assert "\x1b" not in broken.error and "\r" not in broken.error
    assert "\\x1b[31mred" in broken.error
    assert "cd" not in broken.error


def test_positions_follow_the_line_offset_of_the_fed_text() -> None:
    (broken,) = [s for s in analyze("SELECT 1;\nSELECT 'x", line_offset=40) if s.error]
    assert broken.line == 42
    assert broken.error.endswith("(line 42, column 8)")
