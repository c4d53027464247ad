"""``--stats``: estimates on each statement and risk graded by the table's size.

The tiny snapshot is dumped from a real table; the large one is the same file
with the table said to be 200 GB (what a production dump would say)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.stats.helpers import dump, run_cli

GB = 1024 ** 3
SCHEMA = """
CREATE TABLE shop_order (id bigserial PRIMARY KEY, total int NOT NULL, note text);
CREATE INDEX shop_order_total ON shop_order (total);
"""
REWRITE = "ALTER TABLE shop_order ALTER COLUMN total TYPE bigint;\n"
INDEX = "CREATE INDEX shop_order_note ON shop_order (note);\n"
SCRIPT = """ALTER TABLE shop_order ALTER COLUMN total TYPE bigint;
CREATE INDEX shop_order_note ON shop_order (note);
UPDATE shop_order SET note = 'x';
DELETE FROM shop_order WHERE id = 3;
ALTER TABLE shop_order ADD COLUMN extra int;
BEGIN;
ALTER TABLE shop_order ADD CONSTRAINT positive CHECK (total > 0);
UPDATE shop_order SET note = 'y';
COMMIT;
"""


@pytest.fixture
def tiny(pg_database: str, tmp_path: Path) -> Path:
    with psycopg.connect(pg_database, autocommit=True) as connection:
        connection.execute(SCHEMA)
        connection.execute("INSERT INTO shop_order (total) SELECT g FROM generate_series(1, 10) g")
        connection.execute("VACUUM ANALYZE shop_order")
    snapshot, _ = dump(pg_database, tmp_path)
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    return path


@pytest.fixture
def large(tiny: Path, tmp_path: Path) -> Path:
    snapshot = json.loads(tiny.read_text(encoding="utf-8"))
    for table in snapshot["tables"]:
        if table["name"] == "shop_order":
            table.update(rows=2.5e9, live_tuples=2_500_000_000, heap_bytes=160 * GB,
                         toast_bytes=10 * GB)
            for index in table["indexes"]:
                index["bytes"] = 15 * GB
    path = tmp_path / "large.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    return path


def review(tmp_path: Path, sql: str, *arguments: str) -> dict[str, Any]:
    script = tmp_path / "change.sql"
    script.write_text(sql, encoding="utf-8")
    result = run_cli("sql", str(script), "--format", "json", "--fail-on", "never", *arguments)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def risks(document: dict[str, Any]) -> list[str]:
    return [statement["risk"] for statement in document["statements"]]


def test_the_same_rewrite_is_critical_on_a_large_table_and_medium_on_a_tiny_one(
        tiny: Path, large: Path, tmp_path: Path) -> None:
    assert risks(review(tmp_path, REWRITE, "--stats", str(large))) == ["critical"]
    # ACCESS EXCLUSIVE stays medium however small: the queue behind the lock.
    assert risks(review(tmp_path, REWRITE, "--stats", str(tiny))) == ["medium"]
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA, encoding="utf-8")
    assert risks(review(tmp_path, REWRITE, "--schema", str(schema))) == ["critical"]


def test_a_blocking_index_build_is_low_on_a_tiny_table(tiny: Path, large: Path,
                                                       tmp_path: Path) -> None:
    # (SR201, a missing lock_timeout, is medium whatever the size: set aside here.)
    on_tiny = review(tmp_path, INDEX, "--stats", str(tiny),
                     "--assume-lock-timeout")["statements"][0]
    assert on_tiny["risk"] == "low"
    assert [(f["code"], f["severity"]) for f in on_tiny["findings"]
            if f["code"] == "SR107"] == [("SR107", "low")]
    on_large = review(tmp_path, INDEX, "--stats", str(large),
                      "--assume-lock-timeout")["statements"][0]
    assert on_large["risk"] == "critical"
    assert on_large["estimate"]["work"][0]["work"] == "index build"


def test_estimated_seconds_is_a_number_or_null(tiny: Path, large: Path, tmp_path: Path
                                               ) -> None:
    document = review(tmp_path, SCRIPT, "--stats", str(large))
    statements = document["statements"]
    seconds = [s["estimated_seconds"] for s in statements]
    rewrite, index, update_all, delete_some, add_column = statements[:5]
    assert all(isinstance(value, float) and value > 0
               for value in (rewrite["estimated_seconds"], index["estimated_seconds"],
                             update_all["estimated_seconds"]))
    assert delete_some["estimated_seconds"] is None
    assert "WHERE" in delete_some["estimate"]["unknown"]
    assert add_column["estimated_seconds"] is None  # metadata only
    assert add_column["estimate"]["tables"][0]["total_bytes"] == 160 * GB + 10 * GB + 30 * GB
    assert rewrite["estimate"]["under"] == "ACCESS EXCLUSIVE"
    assert rewrite["estimate"]["work"][0]["inputs"]["heap_bytes"] == 160 * GB
    assert update_all["estimate"]["work"][0]["inputs"]["fraction"] == 1.0
    # The hold from ADD CONSTRAINT (#6) to COMMIT: the check's scan and the UPDATE.
    hold, = document["files"][0]["holds"]
    assert (hold["acquired_at"], hold["released_at"]) == (6, 8)
    assert hold["estimated_seconds"] == pytest.approx(seconds[6] + seconds[7], abs=0.01)
    assert statements[7]["estimate"]["under"] == "ACCESS EXCLUSIVE"
    assert document["stats"]["file"] == str(large)
    without = review(tmp_path, SCRIPT, "--stats", str(large).replace("large", "tiny"))
    assert [s["estimated_seconds"] is None for s in without["statements"]] == [
        value is None for value in seconds]


def test_without_stats_grading_is_unchanged_and_sizes_are_unknown(tmp_path: Path) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA, encoding="utf-8")
    document = review(tmp_path, SCRIPT, "--schema", str(schema))
    assert document["stats"] is None
    assert all(s["estimated_seconds"] is None and s["estimate"] is None
               for s in document["statements"])
    assert risks(document)[:3] == ["critical", "high", "medium"]
    text = run_cli("sql", str(tmp_path / "change.sql"), "--schema", str(schema),
                   "--fail-on", "never")
    assert text.stdout.count("sizes unknown") == 1


def test_reports_show_the_estimate(large: Path, tmp_path: Path) -> None:
    script = tmp_path / "change.sql"
    script.write_text(REWRITE, encoding="utf-8")
    for output_format in ("text", "markdown"):
        result = run_cli("sql", str(script), "--stats", str(large), "--format", output_format)
        assert result.returncode == 1, result.stderr
        # Markdown escapes _ and ~; the text report wraps its lines.
        shown = " ".join(result.stdout.replace("\\", "").split())
        assert "under ACCESS EXCLUSIVE on shop_order, 200 GB (estimate)" in shown
        assert "durations are estimates" in shown


def test_the_snapshot_is_the_schema(tiny: Path, tmp_path: Path) -> None:
    """--schema takes a snapshot; --stats alone implies its schema for sqlreview sql."""
    with_schema = review(tmp_path, "ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;",
                         "--schema", str(tiny))
    assert with_schema["statements"][0]["scans"] == ["shop_order"]
    implied = review(tmp_path, "ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;",
                     "--stats", str(tiny))
    assert implied["statements"][0]["scans"] == ["shop_order"]
    assert implied["statements"][0]["estimated_seconds"] is not None
    assert "new_relations" in implied["statements"][0]
    assert implied["statements"][0]["new_relations"] == []


def test_thresholds_come_from_the_config(large: Path, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.sqlreview]\nrisk-critical-seconds = 1e9\nrisk-high-seconds = 1e8\n"
        f"stats = {json.dumps(large.name)}\n", encoding="utf-8")
    script = tmp_path / "change.sql"
    script.write_text(REWRITE, encoding="utf-8")
    result = run_cli("sql", str(script), "--format", "json", "--fail-on", "never",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["stats"]["thresholds"]["critical_seconds"] == 1e9
    assert risks(document) == ["medium"]


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "is not JSON"),
    ('{"snapshot_version": 99}', "version 99 snapshot"),
    ('{"tables": []}', "not a sqlreview snapshot"),
])
def test_a_bad_stats_file_is_one_line_and_exit_2(tmp_path: Path, content: str,
                                                 message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    script = tmp_path / "change.sql"
    script.write_text(REWRITE, encoding="utf-8")
    result = run_cli("sql", str(script), "--stats", str(bad))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    missing = run_cli("sql", str(script), "--stats", str(tmp_path / "absent.json"))
    assert missing.returncode == 2 and "cannot read --stats" in missing.stderr


def test_a_bad_calibration_file_is_one_line_and_exit_2(tiny: Path, tmp_path: Path) -> None:
    bad = tmp_path / "calibration.json"
    bad.write_text('{"calibration_version": 1, "figures": {}}', encoding="utf-8")
    script = tmp_path / "change.sql"
    script.write_text(REWRITE, encoding="utf-8")
    result = run_cli("sql", str(script), "--stats", str(tiny), "--calibration", str(bad))
    assert result.returncode == 2
    assert "lacks" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_index_on_a_text_column_is_priced_at_the_text_key_rate(large: Path,
                                                                   tmp_path: Path) -> None:
    """The same table, one build on its int column and one on its text column: the text
    key sorts through the collation (the calibration's text-key rate), the int key does not."""
    document = review(tmp_path, "CREATE INDEX by_total ON shop_order (total);\n"
                                "CREATE INDEX by_note ON shop_order (note);\n",
                      "--stats", str(large))
    by_total, by_note = document["statements"]
    [int_build], [text_build] = by_total["estimate"]["work"], by_note["estimate"]["work"]
    assert int_build["inputs"]["text_key_indexes"] == 0
    assert text_build["inputs"]["text_key_indexes"] == 1
    assert by_note["estimated_seconds"] > by_total["estimated_seconds"]
