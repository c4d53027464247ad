"""`sqlreview [targets]` end to end: the real CLI, a real Django project, a real server.

Each run is a subprocess (Django can be configured once per process); they all
replay on the session's PostgreSQL through --scratch-url, so no test starts a
server of its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.support.cli import SAMPLE, run_sqlreview
from tests.support.projects import unreachable_settings, write_files


def expected_sample_migrations() -> set[tuple[str, str]]:
    """Every migration file of the sample's apps, squashed ones replacing their originals."""
    names: set[tuple[str, str]] = set()
    replaced: set[tuple[str, str]] = set()
    for app in ("library", "legacy"):
        for path in (SAMPLE / app / "migrations").glob("0*.py"):
            names.add((app, path.stem))
            match = re.search(r"replaces\s*=\s*\[(.*?)\]", path.read_text(), re.DOTALL)
            if match:
                pairs = re.findall(r"\(['\"](\w+)['\"],\s*['\"](\w+)['\"]\)", match.group(1))
                replaced.update(pairs)
    return names - replaced


@pytest.fixture(scope="module")
def sample_json(pg_server: ScratchServer) -> dict[str, Any]:
    result = run_sqlreview("--all", "--pythonpath", str(SAMPLE), "--settings",
                           "sampleproject.settings", "--format", "json", "--fail-on", "never",
                           "--scratch-url", pg_server.url)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def migration(document: dict[str, Any], label: str) -> dict[str, Any]:
    app, name_prefix = label.split(":")
    for item in document["migrations"]:
        if item["app"] == app and item["name"].startswith(name_prefix):
            found: dict[str, Any] = item
            return found
    raise AssertionError(f"{label} not reviewed")


def test_all_reports_every_migration_once(sample_json: dict[str, Any]) -> None:
    reviewed = [(m["app"], m["name"]) for m in sample_json["migrations"]]
    assert len(reviewed) == len(set(reviewed))
    assert set(reviewed) == expected_sample_migrations()
    assert sample_json["schema_version"] == 1
    assert sample_json["mode"] == "replay"


def test_every_statement_names_its_operation(sample_json: dict[str, Any]) -> None:
    for item in sample_json["migrations"]:
        for statement in item["statements"]:
            if statement["kind"] != "TRANSACTION":
                assert statement["operation"], (item["name"], statement["sql"])


def test_json_sql_is_the_migrations_sql_and_statements_come_from_it(
    sample_json: dict[str, Any],
) -> None:
    for item in sample_json["migrations"]:
        if item["atomic"] and item["statements"]:
            assert item["sql"].startswith("BEGIN;\n") and item["sql"].endswith("COMMIT;\n")
        for statement in item["statements"]:
            if "executed by RunPython on the scratch database" in statement["notes"]:
                # what Python ran: sqlmigrate never prints it
                assert statement["sql"] not in item["sql"], statement["sql"]
            elif statement["kind"] not in ("TRANSACTION", "PYTHON"):
                assert statement["sql"] in item["sql"], statement["sql"]


def test_the_story_of_the_sample(sample_json: dict[str, Any]) -> None:
    bigint = migration(sample_json, "library:0011")
    alter = next(s for s in bigint["statements"] if s["kind"] == "ALTER TABLE")
    assert alter["risk"] == "critical"
    assert alter["rewrites"] == ["library_book"]
    assert {"relation": "library_book", "mode": "AccessExclusiveLock",
            "held_until": len(bigint["statements"]) - 1} in alter["locks"]

    widen = migration(sample_json, "library:0012")
    assert all(not s["rewrites"] for s in widen["statements"])

    concurrently = migration(sample_json, "library:0007")
    assert concurrently["atomic"] is False
    index = concurrently["statements"][0]
    assert index["locks"][0]["mode"] == "ShareUpdateExclusiveLock"
    assert not index["in_transaction"]
    assert "SR107" not in {f["code"] for f in index["findings"]}

    blocking = migration(sample_json, "library:0006")
    assert "SR107" in {f["code"] for s in blocking["statements"] for f in s["findings"]}

    backfill = migration(sample_json, "library:0017")
    python = [s for s in backfill["statements"] if s["kind"] == "PYTHON"]
    assert python and all("SR301" in {f["code"] for f in s["findings"]} for s in python)

    initial = migration(sample_json, "library:0001")
    created = [s for s in initial["statements"] if s["kind"] == "CREATE TABLE"]
    assert created and all(s["risk"] == "low" for s in created)


def test_markdown_is_ready_to_paste(pg_server: ScratchServer) -> None:
    result = run_sqlreview("library:0011", "--pythonpath", str(SAMPLE), "--settings",
                           "sampleproject.settings", "--format", "markdown",
                           "--scratch-url", pg_server.url)
    assert result.returncode == 1  # a critical rewrite, default --fail-on high
    lines = result.stdout.splitlines()
    assert lines[0] == "### sqlreview: migration risk"
    assert lines[2].startswith("**critical: `library_book` rewritten under ACCESS EXCLUSIVE "
                               "(library.0011 #1, SR103)")
    assert "PostgreSQL 1" in lines[4]
    assert "| `library.0011_alter_book_copies_sold` | **critical** |" in result.stdout
    assert ("- **critical** [SR103](https://sqlreview.readthedocs.io/en/latest/rules/SR103/) "
            "#1 (line 13): ALTER COLUMN copies\\_sold TYPE bigint") in result.stdout
    assert "*Instead:* Add a new column of the new type" in result.stdout
    assert "<details><summary>1 statement at medium or above and the SQL" in result.stdout


def test_manage_py_sqlreview_runs_the_same_review(pg_server: ScratchServer) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "sqlreview", "library:0012", "--fail-on", "never",
         "--scratch-url", pg_server.url],
        cwd=SAMPLE, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "300"},  # the verdict on one line
    )
    assert result.returncode == 0, result.stderr
    verdict, summary = result.stdout.splitlines()[:2]
    # The verdict is the high finding: the widened column's CHECK is validated again.
    assert verdict.startswith("high: ALTER COLUMN title TYPE varchar(200) does not rewrite "
                              "library_book")
    assert verdict.endswith("(library.0012 #1, SR123)")
    assert summary.startswith("sqlreview: 3 statements in 1 migration")
    assert "library.0012_alter_book_title" in result.stdout


def test_missing_settings_module_is_a_clear_usage_error(tmp_path: Path) -> None:
    result = run_sqlreview("--settings", "no_such_settings_module", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("sqlreview: ")
    assert "no_such_settings_module" in result.stderr


def test_no_settings_at_all_says_how_to_give_them(tmp_path: Path) -> None:
    result = run_sqlreview(cwd=tmp_path, unset=("DJANGO_SETTINGS_MODULE",), timeout=60)
    assert result.returncode == 2
    assert "--settings" in result.stderr and "Traceback" not in result.stderr


BROKEN_SETTINGS = unreachable_settings(["breaking"])

BREAKING_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Thing", [("id", models.AutoField(primary_key=True))]),
    ]
"""

BREAKING_0002 = """
from django.db import migrations


class Explode(migrations.operations.base.Operation):
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        raise RuntimeError("this operation cannot be rendered")

    def describe(self):
        return "Explode"


class Migration(migrations.Migration):
    dependencies = [("breaking", "0001_initial")]
    operations = [Explode()]
"""

BREAKING_0003 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("breaking", "0002_explode")]
    operations = [migrations.AddField("Thing", "name", models.TextField(null=True))]
"""


@pytest.fixture
def breaking_project(tmp_path: Path) -> Path:
    files = {
        "breakingproj/__init__.py": "",
        "breakingproj/settings.py": BROKEN_SETTINGS,
        "breaking/__init__.py": "",
        "breaking/migrations/__init__.py": "",
        "breaking/migrations/0001_initial.py": BREAKING_0001,
        "breaking/migrations/0002_explode.py": BREAKING_0002,
        "breaking/migrations/0003_thing_name.py": BREAKING_0003,
    }
    return write_files(tmp_path, files, keep_leading_newline=True)


def test_unreachable_database_suggests_targets_or_all(breaking_project: Path) -> None:
    result = run_sqlreview("--settings", "breakingproj.settings", cwd=breaking_project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--all" in result.stderr


def test_a_migration_that_fails_to_render_is_reported_and_the_rest_completes(
    breaking_project: Path, pg_server: ScratchServer,
) -> None:
    result = run_sqlreview("--all", "--settings", "breakingproj.settings", "--format", "json",
                           "--scratch-url", pg_server.url, cwd=breaking_project)
    assert result.returncode == 3, result.stderr
    document = json.loads(result.stdout)
    by_name = {m["name"]: m for m in document["migrations"]}
    assert "cannot be rendered" in by_name["0002_explode"]["error"]
    failure = by_name["0002_explode"]["statements"][-1]
    assert {f["code"] for f in failure["findings"]} == {"SR002"}
    later = by_name["0003_thing_name"]
    assert later["error"] is None
    assert any("ADD COLUMN name" in a for s in later["statements"] for a in s["actions"])


def test_trace_on_the_sample_measures_and_agrees_with_every_estimate(
    pg_server: ScratchServer,
) -> None:
    result = run_sqlreview("--all", "--trace", "--pythonpath", str(SAMPLE), "--settings",
                           "sampleproject.settings", "--format", "json", "--fail-on", "never",
                           "--scratch-url", pg_server.url)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    rows = [s for m in document["migrations"] for s in m["statements"]]
    measured = [s for s in rows if s["measured"] is not None]
    sql_rows = [s for s in rows if s["kind"] not in ("TRANSACTION", "PYTHON")]
    assert len(measured) >= len(sql_rows) * 0.8  # several-statement strings: one measurement
    disagreements = [(s["sql"], s["measured"]["disagreements"]) for s in measured
                     if s["measured"]["disagreements"]]
    assert disagreements == []
    assert not any(f["code"] == "SR004" for s in rows for f in s["findings"])
    bigint = migration(document, "library:0011")
    alter = next(s for s in bigint["statements"] if s["kind"] == "ALTER TABLE")
    assert alter["measured"]["rewrites"] == ["library_book"]


def test_a_migration_module_that_raises_on_import_is_a_failed_row(
    breaking_project: Path, pg_server: ScratchServer,
) -> None:
    (breaking_project / "breaking/migrations/0004_typo.py").write_text(textwrap.dedent("""
        from django.db import migrations

        class Migration(migrations.Migration):
            dependencies = [("breaking", "0003_thing_name")]
            operations = [migrations.RunSQL("SELECT 1", no_such_argument=True)]
    """))
    result = run_sqlreview("--all", "--settings", "breakingproj.settings", "--format", "json",
                           "--scratch-url", pg_server.url, cwd=breaking_project)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    failed = migration(document, "breaking:0004")
    assert "0004_typo.py" in failed["error"] and "TypeError" in failed["error"]
    assert [f["code"] for s in failed["statements"] for f in s["findings"]] == ["SR002"]
    # the migrations before it are still reviewed
    assert migration(document, "breaking:0003")["error"] is None
