"""The pre-state from production (the database read read-only, or a stats dump snapshot):
the SQL production would run, and SR007 where production and the migration files differ."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sqlreview.scratch import ScratchServer
from tests.cli.gitproject import sqlreview
from tests.prestate.production_project import UNREACHABLE_URL, write_production_project

SETTINGS = ("--settings", "prodproj.settings", "--fail-on", "never", "-q")


@pytest.fixture(scope="module")
def production(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[Path, str]]:
    with pg_server.temporary_database("sqlreview_prod") as url:
        root = write_production_project(tmp_path_factory.mktemp("prodproj"), url)
        yield root, url


def review(root: Path, url: str, *args: str, expect: int = 0, cache: Path | None = None
           ) -> dict[str, Any]:
    caching = ("--cache-dir", str(cache)) if cache is not None else ("--no-cache",)
    result = sqlreview(*SETTINGS, "--pythonpath", str(root), "--format", "json",
                       *caching, *args, cwd=root, env={"PROD_DATABASE_URL": url})
    assert result.returncode == expect, result.stderr
    assert "Traceback" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in document["migrations"]}


def codes(migration: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["code"], f["severity"]) for s in migration["statements"] for f in s["findings"]]


def catalog(url: str) -> tuple[list[Any], list[Any]]:
    with psycopg.connect(url) as connection:
        relations = connection.execute(
            "SELECT relname, relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE nspname = 'public' ORDER BY 1").fetchall()
        applied = connection.execute(
            "SELECT app, name FROM django_migrations ORDER BY id").fetchall()
    return relations, applied


def test_the_database_as_pre_state_renders_what_production_runs(
    production: tuple[Path, str],
) -> None:
    root, url = production
    before = catalog(url)
    real = by_name(review(root, url, "--pre-state", "database", expect=3))
    files = by_name(review(root, url, "--pre-state", "fast"))
    assert catalog(url) == before  # nothing written to production
    # Introspection finds the constraint under the name a DBA gave it in production.
    assert 'DROP CONSTRAINT "tags_tag_code_dba"' in real["0003_drop_unique"]["sql"]
    assert 'DROP CONSTRAINT "tags_tag_code_key"' in files["0003_drop_unique"]["sql"]
    # The rename names an index only the edited 0001 creates: production has none by it.
    assert "tags_tag_name_idx" in real["0002_rename_index"]["error"]
    assert files["0002_rename_index"]["error"] is None
    assert ("SR007", "high") in codes(real["0002_rename_index"])
    assert ("SR007", "high") in codes(real["0003_drop_unique"])
    assert not [code for code, _ in codes(files["0003_drop_unique"]) if code == "SR007"]


def test_drift_names_each_object_and_both_versions(production: tuple[Path, str]) -> None:
    root, url = production
    document = review(root, url, "--pre-state", "database", expect=3)
    drift = {(d["kind"], d["name"]): (d["production"], d["files"]) for d in document["drift"]}
    assert drift[("index", "tags_tag_name_code_hand")] == ("(name, code)", None)
    assert drift[("index", "tags_tag_name_old")] == ("(name)", None)
    assert drift[("index", "tags_tag_name_idx")] == (None, "(name)")
    assert drift[("constraint", "tags_tag_code_dba")] == ("UNIQUE (code)", None)
    assert document["pre_state"]["built"] == "production"
    assert document["pre_state"]["applied_in_production"] == 1


def test_a_snapshot_is_the_pre_state_of_a_since_review_without_the_database(
    production: tuple[Path, str], tmp_path: Path,
) -> None:
    root, url = production
    snapshot = tmp_path / "production.json"
    dumped = sqlreview("stats", "dump", "--database-url", url, "-o", str(snapshot), cwd=root)
    assert dumped.returncode == 0, dumped.stderr
    document = review(root, UNREACHABLE_URL, "--since", "main", "--pre-state", "snapshot",
                      "--stats", str(snapshot), expect=3)
    migrations = by_name(document)
    assert list(migrations) == ["0002_rename_index", "0003_drop_unique"]
    assert 'DROP CONSTRAINT "tags_tag_code_dba"' in migrations["0003_drop_unique"]["sql"]
    assert ("SR007", "high") in codes(migrations["0002_rename_index"])


def test_snapshot_pre_state_without_a_snapshot_says_what_to_give(
    production: tuple[Path, str],
) -> None:
    root, _url = production
    result = sqlreview(*SETTINGS, "--pythonpath", str(root), "--since", "main",
                       "--pre-state", "snapshot", cwd=root,
                       env={"PROD_DATABASE_URL": UNREACHABLE_URL})
    assert result.returncode == 2
    assert "--stats FILE" in result.stderr and "Traceback" not in result.stderr


def test_no_drift_skips_the_files_build_and_sr007(production: tuple[Path, str]) -> None:
    root, url = production
    document = review(root, url, "--pre-state", "database", "--no-drift", expect=3)
    assert document["drift"] == []
    assert not [code for m in document["migrations"] for code, _ in codes(m) if code == "SR007"]
    # Still production's SQL: the rename fails there, the constraint has the DBA's name.
    migrations = by_name(document)
    assert migrations["0002_rename_index"]["error"] is not None
    assert 'DROP CONSTRAINT "tags_tag_code_dba"' in migrations["0003_drop_unique"]["sql"]


def test_a_warm_database_pre_state_renders_and_warns_as_the_cold_one(
    production: tuple[Path, str], tmp_path: Path,
) -> None:
    root, url = production
    cold = review(root, url, "--pre-state", "database", expect=3, cache=tmp_path)
    warm = review(root, url, "--pre-state", "database", expect=3, cache=tmp_path)
    assert (cold["pre_state"]["cache"], warm["pre_state"]["cache"]) == ("stored", "hit")
    assert warm["warnings"] == cold["warnings"]
    assert [m["sql"] for m in warm["migrations"]] == [m["sql"] for m in cold["migrations"]]
    assert [codes(m) for m in warm["migrations"]] == [codes(m) for m in cold["migrations"]]


def test_an_ignore_comment_in_the_migration_applies_to_the_drift(
    production: tuple[Path, str], tmp_path: Path,
) -> None:
    root, url = production
    copy = tmp_path / "prodproj"
    shutil.copytree(root, copy)
    path = copy / "tags" / "migrations" / "0003_drop_unique.py"
    path.write_text(path.read_text().replace(
        "models.CharField(max_length=20)),",
        "models.CharField(max_length=20)),  # sqlreview: ignore SR007 -- the DBA's name is "
        "the one to drop"))
    migration = by_name(review(copy, url, "--pre-state", "database", expect=3))[
        "0003_drop_unique"]
    drift = [f for s in migration["statements"] for f in s["findings"] if f["code"] == "SR007"]
    assert drift and all(f["suppressed"] for f in drift)
    assert "SR005" not in [code for code, _ in codes(migration)]  # the comment was used
