"""The new formats and --show through the real command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema

from tests.support.cli import run_sqlreview

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")
SCHEMA_SQL = "CREATE TABLE shop_order (id bigint PRIMARY KEY, total integer);\n"
SQL = """-- a change to an existing table
BEGIN;
ALTER TABLE shop_order ADD COLUMN note text;
CREATE INDEX shop_order_total_idx ON shop_order (total);
COMMIT;
CREATE INDEX CONCURRENTLY shop_order_note_idx ON shop_order (note);
"""


def sqlreview(tmp_path: Path, *arguments: str, **environment: str
              ) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "0042_change.sql"
    path.write_text(SQL, encoding="utf-8")
    (tmp_path / "schema.sql").write_text(SCHEMA_SQL, encoding="utf-8")
    return run_sqlreview("sql", path.name, "--schema", "schema.sql", *arguments, cwd=tmp_path,
                         timeout=120, env={"COLUMNS": "200", **environment})


def test_sarif_from_the_command_line_is_schema_valid(tmp_path: Path) -> None:
    result = sqlreview(tmp_path, "--format", "sarif")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(
        document)
    results = document["runs"][0]["results"]
    index = next(r for r in results if r["ruleId"] == "SR107")
    location = index["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "0042_change.sql"
    assert location["region"]["startLine"] == 4


def test_codequality_from_the_command_line(tmp_path: Path) -> None:
    result = sqlreview(tmp_path, "--format", "codequality", "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    issues = json.loads(result.stdout)
    assert {issue["check_name"] for issue in issues} >= {"SR107", "SR202"}
    assert all(issue["location"]["path"] == "0042_change.sql" for issue in issues)


def test_show_chooses_the_rows(tmp_path: Path) -> None:
    default = sqlreview(tmp_path).stdout
    everything = sqlreview(tmp_path, "--show", "all").stdout
    critical = sqlreview(tmp_path, "--show", "critical").stdout
    assert "CREATE INDEX shop_order_note_idx" not in default  # low: counted, not listed
    assert "below medium not shown: --show all lists them" in default
    assert "CREATE INDEX shop_order_note_idx" in everything
    assert "CREATE INDEX shop_order_total_idx" in default
    assert "CREATE INDEX shop_order_total_idx" not in critical.split("\n\n", 3)[-1]


def test_a_bad_show_level_is_a_usage_error(tmp_path: Path) -> None:
    result = sqlreview(tmp_path, "--show", "loud")
    assert result.returncode == 2
    assert "--show" in result.stderr and "all" in result.stderr
    assert "Traceback" not in result.stderr


def test_text_is_coloured_with_force_color_and_plain_with_no_color(tmp_path: Path) -> None:
    """Through a pipe (not a terminal): FORCE_COLOR colours, NO_COLOR wins over it."""
    plain = sqlreview(tmp_path, "--fail-on", "never", NO_COLOR="", FORCE_COLOR="")
    forced = sqlreview(tmp_path, "--fail-on", "never", NO_COLOR="", FORCE_COLOR="1")
    refused = sqlreview(tmp_path, "--fail-on", "never", NO_COLOR="1", FORCE_COLOR="1")
    assert "\x1b[" not in plain.stdout and "\x1b[" not in refused.stdout
    assert forced.stdout.startswith("\x1b[1;31mhigh: ")  # the verdict, bold and red
    assert plain.stdout == refused.stdout


def test_text_fits_columns(tmp_path: Path) -> None:
    narrow = sqlreview(tmp_path, "--fail-on", "never", COLUMNS="72").stdout
    assert max(len(line) for line in narrow.splitlines()) <= 72
    wide = sqlreview(tmp_path, "--fail-on", "never").stdout
    assert max(len(line) for line in wide.splitlines()) > 72
