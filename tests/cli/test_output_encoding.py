"""Any standard output encoding: the report degrades, it never crashes (issue 17, item 8)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sqlreview.report.encoding import encodable
from tests.support.cli import run_sqlreview_bytes

SCHEMA_SQL = "CREATE TABLE shop_order (id bigint PRIMARY KEY, total integer);\n"
SQL = """-- a transaction that holds its lock through an index build: a hold line with an arrow
BEGIN;
ALTER TABLE shop_order ADD COLUMN note text;
CREATE INDEX shop_order_total_idx ON shop_order (total);
COMMIT;
"""


def run(tmp_path: Path, output_format: str, encoding: str) -> subprocess.CompletedProcess[bytes]:
    (tmp_path / "a.sql").write_text(SQL, encoding="utf-8")
    (tmp_path / "schema.sql").write_text(SCHEMA_SQL, encoding="utf-8")
    return run_sqlreview_bytes("sql", "a.sql", "--schema", "schema.sql", "--format",
                               output_format, cwd=tmp_path, timeout=120,
                               env={"PYTHONIOENCODING": encoding},
                               unset=("SQLREVIEW_", "PYTHONUTF8"))


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_an_ascii_stdout_gets_ascii_arrows_and_dashes(tmp_path: Path, output_format: str
                                                      ) -> None:
    unicode = run(tmp_path, output_format, "utf-8")
    ascii_ = run(tmp_path, output_format, "ascii")
    assert unicode.returncode == ascii_.returncode == 1, ascii_.stderr
    assert b"internal error" not in ascii_.stderr
    original = unicode.stdout.decode("utf-8")
    assert "#1 \u2192 COMMIT #3" in original and "\u2014 high" in original
    text = ascii_.stdout.decode("ascii")  # raises if anything is not ASCII
    assert "#1 -> COMMIT #3" in text and "\u2014" not in text
    assert " - high" in text
    assert "?" not in original and "?" not in text  # every character here has an ASCII form
    assert text.count("\n") == original.count("\n")


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_a_cp1252_stdout_keeps_what_it_can_encode(tmp_path: Path, output_format: str) -> None:
    result = run(tmp_path, output_format, "cp1252")
    assert result.returncode == 1, result.stderr
    assert b"UnicodeEncodeError" not in result.stderr
    text = result.stdout.decode("cp1252")
    assert "#1 -> COMMIT #3" in text  # cp1252 has no arrow
    assert "\u2014 high" in text  # but it has the em dash: kept


def test_what_has_no_ascii_form_becomes_a_question_mark() -> None:
    assert encodable("a \u2192 b \u2026 \u2014 \u00e9t\u00e9 \u6771", "ascii") == \
        "a -> b ... - ?t? ?"
    assert encodable("caf\u00e9 \u2192", "cp1252") == "caf\u00e9 ->"
    assert encodable("a \u2192 b", "utf-8") == "a \u2192 b"
    assert encodable("a \udcff b", "utf-8") == "a ? b"  # a lone surrogate (file names)
    assert encodable("a \u2192 b", None) == "a \u2192 b"
