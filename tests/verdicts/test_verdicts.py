"""Issue 12: verdicts a DBA would sign, on the real migrations of ``dbaproj``.

Every run is the real CLI in a subprocess, replaying on the session's
PostgreSQL (``--scratch-url``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import django
import pytest

from sqlreview.scratch import ScratchServer
from tests.support.cli import run_sqlreview
from tests.verdicts.project import write_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("dba"))


def review(project: Path, server: ScratchServer, *targets: str, expect: int = 0,
           extra: tuple[str, ...] = ()) -> dict[str, Any]:
    result = run_sqlreview(*targets, "--settings", "dbaproj.settings", "--pythonpath", str(project),
                           "--scratch-url", server.url, "--no-cache", "--format", "json",
                           "--fail-on", "never", *extra)
    assert result.returncode == expect, result.stderr
    assert "Traceback" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def statements(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    migration = next(m for m in document["migrations"] if m["name"] == name)
    found: list[dict[str, Any]] = migration["statements"]
    return found


def codes(statement: dict[str, Any]) -> list[str]:
    return [finding["code"] for finding in statement["findings"]]


def test_a_foreign_key_from_a_new_table_scans_nothing_and_keeps_its_lock(
        project: Path, pg_server: ScratchServer) -> None:
    document = review(project, pg_server, "tickets:0001")
    rows = statements(document, "0001_initial")
    foreign_key = next(s for s in rows if "FOREIGN KEY" in s["sql"])
    assert foreign_key["scans"] == []
    assert foreign_key["cost"] != "full scan"
    assert foreign_key["risk"] != "high"
    locks = {lock["relation"]: lock["mode"] for lock in foreign_key["locks"]}
    assert locks["accounts_account"] == "ShareRowExclusiveLock"
    for row in rows:
        assert not any("full scan" in f["message"] for f in row["findings"]), row
    assert all(row["risk"] in ("low", "medium") for row in rows), rows


def test_run_python_noop_is_no_data_migration(project: Path, pg_server: ScratchServer) -> None:
    document = review(project, pg_server, "accounts:0002")
    rows = statements(document, "0002_nickname_noop")
    python = [s for s in rows if s["kind"] == "PYTHON"]
    assert len(python) == 2
    # the second has no reverse_code: SR412 (low) says it cannot be unapplied, rightly
    assert [codes(row) for row in python] == [[], ["SR412"]]
    for row in python:
        assert row["risk"] == "low"
        assert "RunPython.noop" in " ".join(row["notes"])
    assert not any(c in ("SR301", "SR302", "SR202") for s in rows for c in codes(s))


def test_what_a_run_python_executed_on_the_scratch_database_is_analysed(
        project: Path, pg_server: ScratchServer) -> None:
    document = review(project, pg_server, "accounts:0003")
    migration = document["migrations"][0]
    rows = migration["statements"]
    executed = [s for s in rows if "executed by RunPython on the scratch database" in s["notes"]]
    renames = [s for s in executed if "RENAME TO" in s["sql"]]
    assert renames, rows
    assert renames[0]["locks"][0]["mode"] == "AccessExclusiveLock"
    assert "SR118" in codes(renames[0])  # renaming breaks the running code
    update = next(s for s in executed if s["sql"].startswith("UPDATE"))
    assert any("empty tables" in note for note in update["notes"])
    headers = [s for s in rows if s["kind"] == "PYTHON"]
    assert "SR301" not in codes(headers[0])  # only DDL: every statement analysed below it
    assert "SR301" in codes(headers[1])  # the UPDATE's cost is unknown
    assert "rename_table" in headers[0]["sql"] and "fill_names" in headers[1]["sql"]
    # sqlmigrate never shows what Python ran: the text is untouched
    assert "RENAME TO" not in migration["sql"] and "UPDATE" not in migration["sql"]


def test_live_mode_keeps_the_opaque_row_naming_the_function(project: Path,
                                                            pg_database: str) -> None:
    result = run_sqlreview("accounts:0003", "--settings", "dbaproj.settings", "--pythonpath",
                           str(project), "--mode", "live", "--format", "json", "--fail-on", "never",
                           env={"DBA_DATABASE_URL": pg_database})
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["migrations"][0]["statements"]
    python = [s for s in rows if s["kind"] == "PYTHON"]
    assert [s["sql"] for s in python] == [
        "RunPython accounts.migrations.0003_python_renames.rename_table",
        "RunPython accounts.migrations.0003_python_renames.fill_names"]
    assert all("SR301" in codes(s) for s in python)
    messages = [f["message"] for s in python for f in s["findings"] if f["code"] == "SR301"]
    assert "no reverse" in messages[0] and "reverse: noop" in messages[1]
    assert not any("executed by RunPython" in n for s in rows for n in s["notes"])


def test_a_refused_alias_says_so_and_can_be_mapped(project: Path,
                                                   pg_server: ScratchServer) -> None:
    refused = review(project, pg_server, "reports:0001", expect=3)
    error = refused["migrations"][0]["error"]
    assert "sqlreview does not connect to database 'replica'" in error
    assert "--scratch-alias replica" in error and "ImproperlyConfigured" not in error
    mapped = review(project, pg_server, "reports:0001", extra=("--scratch-alias", "replica"))
    assert mapped["migrations"][0]["error"] is None
    result = run_sqlreview("reports:0001", "--settings", "dbaproj.settings", "--pythonpath",
                           str(project), "--scratch-url", pg_server.url, "--scratch-alias", "nope")
    assert result.returncode == 2 and "--scratch-alias nope" in result.stderr
    assert "Traceback" not in result.stderr


def _server_lacks(server: ScratchServer) -> tuple[bool, bool]:
    """(no ICU, no pgcrypto) on the test server."""
    import psycopg

    with psycopg.connect(server.url, autocommit=True) as connection:
        no_crypto = connection.execute(
            "SELECT NOT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pgcrypto')"
        ).fetchone()
        icu = connection.execute(
            "SELECT EXISTS (SELECT FROM pg_collation WHERE collprovider = 'i' "
            "AND collname <> 'unicode')").fetchone()
    return not (icu and icu[0]), bool(no_crypto and no_crypto[0])


@pytest.mark.parametrize(("target", "pre_state"), [
    ("inventory", "replay"), ("inventory:0002", "replay"), ("inventory:0002", "fast"),
], ids=["reviewed", "pre-state-replayed", "pre-state-hoisted"])
def test_what_the_scratch_server_lacks_gets_a_stand_in(
        project: Path, pg_server: ScratchServer, target: str, pre_state: str) -> None:
    no_icu, no_crypto = _server_lacks(pg_server)
    document = review(project, pg_server, target, extra=("--pre-state", pre_state))
    migrations = {m["name"]: m for m in document["migrations"]}
    device = migrations["0002_device"]
    assert device["error"] is None
    assert 'COLLATE "case_insensitive"' in device["sql"]
    assert not any("may differ" in w for w in document["warnings"] + device["warnings"])
    said = " ".join(document["warnings"] + [w for m in migrations.values()
                                             for w in m["warnings"]])
    assert ("libc collation of the same name" in said) == no_icu
    assert ("extension pgcrypto is not available" in said) == no_crypto
    if "0001_collation_and_crypto" in migrations:
        assert migrations["0001_collation_and_crypto"]["error"] is None


def test_a_set_is_judged_as_a_set(project: Path, pg_server: ScratchServer) -> None:
    """accounts.0003 renames (in a RunPython) the table accounts.0001 creates: reviewed
    together, the old code never knew that table; alone, the rename breaks it."""
    together = review(project, pg_server, "accounts:0001", "accounts:0002", "accounts:0003")
    alone = review(project, pg_server, "accounts:0003")

    def rename_codes(document: dict[str, Any]) -> list[str]:
        rows = [s for s in statements(document, "0003_python_renames")
                if "RENAME TO" in s["sql"]]
        assert rows, "the rename RunPython ran must be analysed"
        return [c for s in rows for c in codes(s)]

    assert "SR118" in rename_codes(alone)
    assert "SR118" not in rename_codes(together)


def test_a_sequence_rename_breaks_no_running_code(tmp_path: Path) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text('CREATE TABLE "t" ("id" serial PRIMARY KEY);\n'
                      'CREATE SEQUENCE "s";\n')
    renames = tmp_path / "renames.sql"
    renames.write_text('ALTER TABLE "t_id_seq" RENAME TO "u_id_seq";\n'
                       'ALTER SEQUENCE "s" RENAME TO "s2";\n'
                       'ALTER TABLE "t" RENAME TO "u";\n')
    result = run_sqlreview("sql", str(renames), "--schema", str(schema), "--format", "json",
                           "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["statements"]
    assert ["SR118" in codes(row) for row in rows] == [False, False, True]


def test_drop_if_exists_of_what_the_replay_lacks_is_judged_as_if_it_existed(
        project: Path, pg_server: ScratchServer) -> None:
    document = review(project, pg_server, "tickets:0004")
    drop = next(s for s in statements(document, "0004_drop_admin_log") if "DROP" in s["sql"])
    assert drop["kind"] == "DROP TABLE"
    assert {lock["relation"]: lock["mode"] for lock in drop["locks"]} == {
        "django_admin_log": "AccessExclusiveLock"}
    assert drop["risk"] != "low"
    assert any("the scratch database has no django_admin_log" in n for n in drop["notes"])
    # sqlreview sql trusts the schema it is given: there, IF EXISTS finds nothing
    tmp = project / "sql"
    tmp.mkdir(exist_ok=True)
    (tmp / "schema.sql").write_text('CREATE TABLE "t" ("id" int);\n')
    (tmp / "drop.sql").write_text("DROP TABLE IF EXISTS django_admin_log;\n")
    result = run_sqlreview("sql", str(tmp / "drop.sql"), "--schema", str(tmp / "schema.sql"),
                           "--format", "json", "--fail-on", "never")
    row = json.loads(result.stdout)["statements"][0]
    assert row["risk"] == "low" and "IF EXISTS: nothing to drop" in row["notes"]


@pytest.mark.skipif(django.VERSION < (5, 0),
                    reason="UniqueConstraint(nulls_distinct=...) is Django 5.0+")
@pytest.mark.parametrize(("version", "flagged"), [("14", True), ("15", False)])
def test_nulls_not_distinct_at_an_older_pg_version_is_sr003(
        project: Path, pg_server: ScratchServer, version: str, flagged: bool) -> None:
    document = review(project, pg_server, "tickets:0005", extra=("--pg-version", version))
    rows = statements(document, "0005_unique_title")
    unique = next(s for s in rows if "NULLS NOT DISTINCT" in s["sql"])
    assert ("SR003" in codes(unique)) == flagged
