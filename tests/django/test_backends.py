"""A custom PostgreSQL backend and timeouts set outside the migrations.

django-pg-zero-downtime-migrations forces ``atomic=False``, passes its own SQL
objects to ``execute`` and wraps statements in its own ``SET lock_timeout``;
timeouts may also be set for every connection in ``DATABASES[...]["OPTIONS"]``.
The sample project is reviewed for real (replay on the session's PostgreSQL)
under settings written here, one module per case.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqlreview.scratch import ScratchServer
from tests.django.timing import mask_now
from tests.support.cli import ROOT as REPO
from tests.support.cli import SAMPLE, run_sqlreview
from tests.support.django_driver import run_driver
from tests.support.projects import write_files

Result = dict[str, Any]
ZERO_DOWNTIME = "django_zero_downtime_migrations.backends.postgres"
POSTGRES = "django.db.backends.postgresql"
BOTH_TIMEOUTS = "-c lock_timeout=3s -c statement_timeout=60s"

pytest.importorskip("django_zero_downtime_migrations",
                    reason="django-pg-zero-downtime-migrations is in the test extra")


def sample_settings(root: Path, module: str, engine: str, options: str | None = None,
                    extra: str = "") -> Path:
    """A settings module for the sample: its database from SAMPLE_DATABASE_URL."""
    options_line = f'DATABASES["default"]["OPTIONS"]["options"] = {options!r}' if options else ""
    write_files(root, {f"{module}.py": f"""
        import os
        from sampleproject.settings import *  # noqa: F403
        from sampleproject.settings import postgres_from_url

        DATABASES = {{"default": postgres_from_url(os.environ["SAMPLE_DATABASE_URL"])}}
        DATABASES["default"]["ENGINE"] = {engine!r}
        {options_line}
        {extra}
    """})
    return root


ZERO_DOWNTIME_TIMEOUTS = ('ZERO_DOWNTIME_MIGRATIONS_LOCK_TIMEOUT = "2s"\n'
                          '        ZERO_DOWNTIME_MIGRATIONS_STATEMENT_TIMEOUT = "30s"')


def review(server: ScratchServer, settings_dir: Path, module: str, *targets: str,
           project: Path = SAMPLE, mode: str = "replay", database_url: str | None = None,
           env: dict[str, str] | None = None) -> tuple[int, Result]:
    """``sqlreview --format json`` as a user runs it (replay on ``server``); the
    configured database is ``database_url`` (default: the server's own)."""
    environment = {"PYTHONPATH": os.pathsep.join([str(settings_dir), str(REPO)]),
                   "SAMPLE_DATABASE_URL": database_url or server.url, **(env or {})}
    process = run_sqlreview(
        *(targets or ("--all",)), "--settings", module, "--pythonpath", str(project),
        "--scratch-url", server.url, "--no-cache", "--mode", mode, "--format", "json",
        "--fail-on", "never", "--quiet",
        env=environment, unset=("DJANGO_SETTINGS_MODULE", "PGOPTIONS"), timeout=600)
    assert process.returncode in (0, 1, 3), process.stderr  # 3: a migration failed
    document: Result = json.loads(process.stdout)
    return process.returncode, document


def statements(document: Result) -> Iterator[tuple[Result, Result]]:
    for migration in document["migrations"]:
        for statement in migration["statements"]:
            yield migration, statement


def codes(statement: Result) -> set[str]:
    return {finding["code"] for finding in statement["findings"] if not finding["suppressed"]}


def findings(document: Result, code: str) -> list[tuple[str, Result]]:
    return [(f"{migration['app']}.{migration['name']}", finding)
            for migration, statement in statements(document)
            for finding in statement["findings"] if finding["code"] == code]


# -- the zero-downtime backend -------------------------------------------------


@pytest.fixture(scope="module")
def zero_downtime(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory) -> Result:
    root = sample_settings(tmp_path_factory.mktemp("zdm"), "zdm_settings", ZERO_DOWNTIME,
                           extra=ZERO_DOWNTIME_TIMEOUTS)
    exit_code, document = review(pg_server, root, "zdm_settings")
    assert exit_code == 3  # 0009 fails, as in Django (below)
    return document


def test_no_transaction_is_imagined_where_the_backend_opens_none(zero_downtime: Result) -> None:
    assert [m["atomic"] for m in zero_downtime["migrations"]] == [False] * len(
        zero_downtime["migrations"])
    concurrently = [s for _, s in statements(zero_downtime) if "CONCURRENTLY" in s["sql"]]
    assert len(concurrently) >= 7
    assert findings(zero_downtime, "SR203") == []
    assert findings(zero_downtime, "SR202") == []
    assert not any(s["in_transaction"] for s in concurrently)


def test_the_backend_statements_are_recorded_once(zero_downtime: Result) -> None:
    """Its SETs come from a nested execute(): once each, around the statement."""
    migration = next(m for m in zero_downtime["migrations"]
                     if m["name"] == "0003_book_published_on")
    assert [s["sql"].split(" TO ")[0] for s in migration["statements"]] == [
        "SET statement_timeout", "SET lock_timeout",
        'ALTER TABLE "library_book" ADD COLUMN "published_on" date NULL',
        "SET statement_timeout", "SET lock_timeout"]


def test_no_sr201_after_the_backends_own_set_lock_timeout(zero_downtime: Result) -> None:
    covered = 0
    for migration in zero_downtime["migrations"]:
        timeout_set = False
        for statement in migration["statements"]:
            if statement["sql"].startswith("SET lock_timeout TO"):
                timeout_set = "'0ms'" not in statement["sql"]
            elif timeout_set:
                covered += 1
                assert "SR201" not in codes(statement), statement
    assert covered >= 20
    # What the backend does not wrap keeps it: RunSQL runs as written.
    assert {finding["code"] for _, statement in statements(zero_downtime)
            for finding in statement["findings"]
            if finding["code"] == "SR201" and statement["operation"] != "Raw SQL operation"
            } == set()


def test_only_what_fails_in_django_fails_in_the_review(zero_downtime: Result) -> None:
    """0009's AddConstraintNotValid (django.contrib.postgres) calls str() on the
    backend's multi-statement SQL before execute(): Django's own sqlmigrate and
    migrate fail the same way with this backend, and 0010 validates what 0009
    never added. Nothing else fails."""
    failed = {f"{m['app']}.{m['name']}": m["error"] for m in zero_downtime["migrations"]
              if m["error"]}
    assert set(failed) == {"library.0009_book_library_book_title_not_blank_not_valid",
                           "library.0010_book_validate_library_book_title_not_blank"}
    assert "MultiStatementSQL" in failed["library.0009_book_library_book_title_not_blank_not_valid"]


@pytest.fixture(scope="module")
def zero_downtime_walk(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory
                       ) -> Iterator[Result]:
    root = sample_settings(tmp_path_factory.mktemp("zdm_walk"), "zdm_walk_settings",
                           ZERO_DOWNTIME, extra=ZERO_DOWNTIME_TIMEOUTS)
    with pg_server.temporary_database(prefix="sqlreview_test") as configured:
        yield run_driver("sqlmigrate_walk",
                         env={"SAMPLE_DATABASE_URL": configured,
                              "PYTHONPATH": os.pathsep.join([str(REPO), str(root)])},
                         project=str(SAMPLE), settings="zdm_walk_settings",
                         scratch_url=pg_server.url)


def test_the_sql_is_what_sqlmigrate_prints_with_the_backend(zero_downtime_walk: Result) -> None:
    assert len(zero_downtime_walk["labels"]) >= 20
    assert zero_downtime_walk["mismatches"] == []
    # sqlreview fails exactly where Django's own sqlmigrate/migrate fail.
    assert set(zero_downtime_walk["errors"]) == set(zero_downtime_walk["django_errors"])
    assert not any(zero_downtime_walk["atomic"].values())


# -- an atomic operation in a migration the backend runs without a transaction --

LEDGER_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel("Entry", [
            ("id", models.BigAutoField(primary_key=True)),
            ("amount", models.IntegerField(default=0)),
        ]),
        migrations.CreateModel("Note", [("id", models.BigAutoField(primary_key=True))]),
    ]
"""

LEDGER_0002 = """
from django.db import migrations, models


def double(apps, schema_editor):
    apps.get_model("ledger", "Entry").objects.update(amount=models.F("amount") * 2)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [
        migrations.AddIndex("entry", models.Index(fields=["amount"], name="ledger_amount_idx")),
        migrations.RunPython(double, migrations.RunPython.noop),
    ]
"""


LEDGER_0003 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_double")]
    operations = [
        migrations.AddField("entry", "memo", models.TextField(null=True)),
        migrations.DeleteModel("Note"),
    ]
"""

LEDGER_SETTINGS = f"""
import os
from psycopg.conninfo import conninfo_to_dict

SECRET_KEY = "test"
INSTALLED_APPS = ["ledger"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
params = conninfo_to_dict(os.environ["SAMPLE_DATABASE_URL"])
if os.environ.get("LEDGER_OPTIONS"):
    params["options"] = os.environ["LEDGER_OPTIONS"]
DATABASES = {{"default": {{
    "ENGINE": {ZERO_DOWNTIME!r}, "NAME": params.pop("dbname"),
    "USER": params.pop("user", ""), "PASSWORD": params.pop("password", ""),
    "HOST": params.pop("host", ""), "PORT": params.pop("port", ""),
    "OPTIONS": params}}}}
ZERO_DOWNTIME_MIGRATIONS_LOCK_TIMEOUT = "2s"
"""


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project on the zero-downtime backend: a RunPython beside an index build
    (0002), a DROP TABLE after a column the backend wraps in its timeouts (0003)."""
    return write_files(tmp_path_factory.mktemp("ledger"), {
        "ledgerproj/__init__.py": "",
        "ledgerproj/settings.py": LEDGER_SETTINGS,
        "ledger/__init__.py": "",
        "ledger/migrations/__init__.py": "",
        "ledger/migrations/0001_initial.py": LEDGER_0001,
        "ledger/migrations/0002_double.py": LEDGER_0002,
        "ledger/migrations/0003_memo_drop_note.py": LEDGER_0003,
    })


@pytest.mark.parametrize("mode", ["replay", "live"])
def test_an_atomic_operation_gets_a_transaction_of_its_own(
        pg_server: ScratchServer, pg_database: str, ledger: Path, mode: str) -> None:
    """Django's rule: with no transaction for the migration, RunPython (atomic by
    default) runs in one of its own; the index build before it does not. Live mode
    (where the RunPython does not run) says the same."""
    _, document = review(pg_server, ledger, "ledgerproj.settings", "ledger:0002",
                         project=ledger, mode=mode, database_url=pg_database)
    migration, = document["migrations"]
    rows = [(s["sql"].split(" ")[0], s["in_transaction"]) for s in migration["statements"]]
    assert rows[0] == ("CREATE", False)  # CREATE INDEX CONCURRENTLY, in autocommit
    ran = ["UPDATE"] if mode == "replay" else []  # what the RunPython executed
    assert [sql for sql, _ in rows[1:]] == ["BEGIN", "RunPython", *ran, "COMMIT"]
    assert all(in_transaction for _, in_transaction in rows[1:])
    assert findings(document, "SR203") == []


def test_the_backends_reset_to_0ms_restores_the_connections_timeout(
        pg_server: ScratchServer, ledger: Path) -> None:
    """sqlmigrate prints the backend's "back to the previous value" as '0ms'; with
    a lock_timeout for every connection, the DROP TABLE after it still has one."""
    def drop_table(options: str | None) -> Result:
        _, document = review(pg_server, ledger, "ledgerproj.settings", "ledger:0003",
                             project=ledger, env={"LEDGER_OPTIONS": options or ""})
        statements = document["migrations"][0]["statements"]
        assert any(s["sql"] == "SET lock_timeout TO '0ms'" for s in statements)
        return next(s for s in statements if s["sql"].startswith("DROP TABLE"))

    assert "SR201" not in codes(drop_table("-c lock_timeout=3s"))
    assert "SR201" in codes(drop_table(None))  # nothing sets one: it is right there


# -- timeouts for every connection, and none at all ----------------------------


@pytest.fixture(scope="module")
def plain_postgres(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[int, Result]:
    root = sample_settings(tmp_path_factory.mktemp("plain"), "plain_settings", POSTGRES)
    return review(pg_server, root, "plain_settings")


def test_options_timeouts_count_as_set(pg_server: ScratchServer, tmp_path: Path,
                                       plain_postgres: tuple[int, Result]) -> None:
    root = sample_settings(tmp_path, "options_settings", POSTGRES, options=BOTH_TIMEOUTS)
    _, document = review(pg_server, root, "options_settings")
    assert findings(document, "SR201") == []
    assert findings(document, "SR205") == []
    # The same review without them: the same statements, SR201 there.
    _, without = plain_postgres
    assert [mask_now(s["sql"]) for _, s in statements(document)] == [
        mask_now(s["sql"]) for _, s in statements(without)]
    assert len(findings(without, "SR201")) == 1


def test_a_lock_timeout_alone_leaves_the_statement_timeout_to_ask_for(
        pg_server: ScratchServer, tmp_path: Path) -> None:
    root = sample_settings(tmp_path, "lock_only_settings", POSTGRES,
                           options="-c lock_timeout=3s")
    _, document = review(pg_server, root, "lock_only_settings", "library:0011")
    assert findings(document, "SR201") == []
    assert len(findings(document, "SR205")) >= 1  # 0011 rewrites library_book


def test_without_any_timeout_sr201_is_one_finding_with_the_django_recipe(
        plain_postgres: tuple[int, Result]) -> None:
    _, document = plain_postgres
    (where, finding), = findings(document, "SR201")
    assert where == "library.0002_book_pages"  # the first statement that needs it
    assert '"options": "-c lock_timeout=5s" in DATABASES["default"]["OPTIONS"]' in (
        finding["message"])
    assert "migrations.RunSQL(\"SET lock_timeout = '5s'\"" in finding["message"]
    # It says how many others lack it, and where (the first few migrations by name).
    others = re.search(r"nor before (\d+) more statements of this review", finding["message"])
    assert others is not None and int(others.group(1)) >= 20
    assert "library.0005_publisher_book_publisher (2 statements)" in finding["message"]
    assert finding["message"].endswith(" more migrations)")


def test_statements_that_lose_sr201_keep_the_risk_of_their_locks(
        plain_postgres: tuple[int, Result]) -> None:
    _, document = plain_postgres
    published_on = next(s for m, s in statements(document)
                        if m["name"] == "0003_book_published_on" and "ADD COLUMN" in s["sql"])
    assert codes(published_on) == set()
    assert published_on["risk"] == "medium"  # ACCESS EXCLUSIVE on library_book
