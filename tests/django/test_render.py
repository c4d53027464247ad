"""The Django side against the real embedded PostgreSQL, one process per project.

Each scenario of ``driver.py`` runs once per module (Django configures once
per process) and several tests assert on its JSON result.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sqlreview.scratch import ScratchServer
from tests.django.projects import write_broken_project, write_shop_project, write_trace_project
from tests.django.timing import TIME_LITERAL, is_time_dependent_warning
from tests.support.cli import ROOT as REPO
from tests.support.cli import SAMPLE
from tests.support.django_driver import Result, run_driver

FK = "shop_order_customer_id_f638df20_fk_shop_customer_id"


def by_name(result: Result) -> dict[str, Result]:
    return {f"{m['app_label']}.{m['name']}": m for m in result["migrations"]}


def public_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return [row[0] for row in rows]


@pytest.fixture(scope="module")
def shop_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shop_project(tmp_path_factory.mktemp("shopproject"))


# -- replay on a PostgreSQL-configured project --------------------------------


@pytest.fixture(scope="module")
def shop_replay(pg_server: ScratchServer, shop_project: Path) -> Iterator[tuple[Result, str]]:
    with pg_server.temporary_database(prefix="sqlreview_test") as configured:
        result = run_driver(
            "shop_replay",
            env={"SHOP_DATABASE_URL": configured},
            project=str(shop_project),
            scratch_url=pg_server.url,
        )
        yield result, configured


def test_replay_selects_pending_in_migrate_order(shop_replay: tuple[Result, str]) -> None:
    result, _ = shop_replay
    assert result["mode"] == "replay"
    assert result["server_version"] >= 14
    assert list(by_name(result)) == [
        "contenttypes.0001_initial",
        "contenttypes.0002_remove_content_type_name",
        "exotic.0001_extension",
        "exotic.0002_thing",
        "exotic.0003_thing_size",
        "shop.0001_initial",
        "shop.0002_runsql",
        "shop.0003_concurrent",
        "shop.0004_python",
        "shop.0005_remove_order_customer",
        # Nothing of squashy is applied: the squashed migration replaces both.
        "squashy.0001_squashed_0002_item_price",
    ]


@pytest.mark.skipif(
    importlib.util.find_spec("sqlreview.pg.introspect") is None,
    reason="sqlreview.pg.introspect is not written yet",
)
def test_replay_reads_the_schema_before_each_migration(shop_replay: tuple[Result, str]) -> None:
    assert all(m["has_schema_before"] for m in shop_replay[0]["migrations"])


def test_replay_never_touches_the_configured_database(shop_replay: tuple[Result, str]) -> None:
    _, configured = shop_replay
    assert public_tables(configured) == []


def test_deferred_sql_belongs_to_the_operation_that_deferred_it(
    shop_replay: tuple[Result, str],
) -> None:
    statements = by_name(shop_replay[0])["shop.0001_initial"]["statements"]
    assert [(s["operation_index"], s["sql"].split(" (")[0]) for s in statements] == [
        (0, 'CREATE TABLE "shop_customer"'),
        (1, 'CREATE TABLE "shop_order"'),
        (2, 'CREATE TABLE "shop_tag"'),
        # Executed at the end of the migration, deferred by CreateModel Order:
        (
            1,
            f'ALTER TABLE "shop_order" ADD CONSTRAINT "{FK}" FOREIGN KEY',
        ),
        (1, 'CREATE INDEX "shop_order_customer_id_f638df20" ON "shop_order"'),
        (1, 'CREATE INDEX "shop_order_note_94455a30" ON "shop_order"'),
        (1, 'CREATE INDEX "shop_order_note_94455a30_like" ON "shop_order"'),
    ]
    assert {s["operation"] for s in statements[3:]} == {"Create model Order"}
    assert all(s["kind"] == "sql" and s["sql"].endswith(";") for s in statements)


def test_runsql_params_are_interpolated_as_sqlmigrate_does(
    shop_replay: tuple[Result, str],
) -> None:
    migration = by_name(shop_replay[0])["shop.0002_runsql"]
    assert [s["sql"] for s in migration["statements"]] == [
        "INSERT INTO shop_customer (name) VALUES ('O''Brien 100%');",
        "UPDATE shop_customer SET name = upper(name);",
        # PostgreSQL's backend sends a RunSQL string whole, as one execute().
        "CREATE TABLE shop_audit (id integer);CREATE INDEX shop_audit_id ON shop_audit (id);",
    ]
    assert [s["operation_index"] for s in migration["statements"]] == [0, 0, 1]


def test_non_atomic_migration_has_no_transaction(shop_replay: tuple[Result, str]) -> None:
    migrations = by_name(shop_replay[0])
    concurrent = migrations["shop.0003_concurrent"]
    assert concurrent["atomic"] is False
    assert concurrent["applied_on_scratch"] is True
    assert concurrent["sql_text"] == (
        "--\n"
        "-- Concurrently create index shop_customer_name_idx on field(s) name of model customer\n"
        "--\n"
        'CREATE INDEX CONCURRENTLY "shop_customer_name_idx" ON "shop_customer" ("name");\n'
    )
    assert migrations["shop.0002_runsql"]["sql_text"].startswith(
        "BEGIN;\n--\n-- Raw SQL operation\n"
    )
    assert migrations["shop.0002_runsql"]["sql_text"].endswith(";\nCOMMIT;\n")


def test_run_python_is_a_placeholder_in_operation_order(shop_replay: tuple[Result, str]) -> None:
    migration = by_name(shop_replay[0])["shop.0004_python"]
    assert [(s["operation_index"], s["kind"]) for s in migration["statements"]] == [
        (0, "python"),
        (1, "python"),  # nested in SeparateDatabaseAndState.database_operations
        (1, "sql"),
        (2, "sql"),
    ]
    assert "shop.migrations.0004_python.top_level" in migration["statements"][0]["sql"]
    assert "shop.migrations.0004_python.nested" in migration["statements"][1]["sql"]
    assert migration["statements"][1]["operation"] == "Custom state/database change combination"
    assert "-- THIS OPERATION CANNOT BE WRITTEN AS SQL" in migration["sql_text"]


def test_replay_renders_introspected_constraint_names(shop_replay: tuple[Result, str]) -> None:
    migration = by_name(shop_replay[0])["shop.0005_remove_order_customer"]
    assert migration["statements"][0]["sql"] == (
        f'SET CONSTRAINTS "{FK}" IMMEDIATE; ALTER TABLE "shop_order" DROP CONSTRAINT "{FK}";'
    )


def test_failed_applies_are_recorded_and_the_review_goes_on(
    shop_replay: tuple[Result, str],
) -> None:
    migrations = by_name(shop_replay[0])
    extension = migrations["exotic.0001_extension"]
    assert extension["error"] is None
    assert extension["applied_on_scratch"] is False
    assert "sqlreview_no_such_extension" in extension["apply_error"]
    data = migrations["exotic.0002_thing"]
    assert data["apply_error"].startswith("DoesNotExist")
    # Rendered from the carried state although its table was never created.
    after = migrations["exotic.0003_thing_size"]
    assert after["error"] is None
    assert [s["sql"] for s in after["statements"]] == [
        'ALTER TABLE "exotic_thing" ADD COLUMN "size" integer NULL;'
    ]
    assert all(m["applied_on_scratch"] for m in migrations.values() if m["app_label"] != "exotic")


def test_interrupt_drops_the_scratch_database_and_restores_connections(
    shop_replay: tuple[Result, str],
) -> None:
    interrupt = shop_replay[0]["interrupt"]
    assert interrupt == {
        "interrupted": True,
        "connection_restored": True,
        "leftover_databases": [],
    }


# -- live mode ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_live(pg_server: ScratchServer, shop_project: Path) -> Iterator[Result]:
    with pg_server.temporary_database(prefix="sqlreview_test") as configured:
        yield run_driver(
            "shop_live", env={"SHOP_DATABASE_URL": configured}, project=str(shop_project)
        )


def test_live_mode_writes_nothing_and_runs_no_python(shop_live: Result) -> None:
    assert shop_live["before"] == shop_live["after"]
    assert "nested-python-ran" not in shop_live["after"]["customers"]
    assert "top-python-ran" not in shop_live["after"]["customers"]
    assert shop_live["read_only_after"] == "off"
    statements = by_name(shop_live)["shop.0004_python"]["statements"]
    assert [s["kind"] for s in statements] == ["python", "python", "sql", "sql"]


def test_live_mode_uses_originals_of_a_half_applied_squash(shop_live: Result) -> None:
    names = list(by_name(shop_live))
    assert "squashy.0002_item_price" in names
    assert "squashy.0001_squashed_0002_item_price" not in names
    assert names[0] == "contenttypes.0001_initial"
    assert "shop.0003_concurrent" not in names  # applied


def test_live_mode_warns_when_several_migrations_are_pending(shop_live: Result) -> None:
    assert shop_live["mode"] == "live"
    assert any("only the first" in warning for warning in shop_live["warnings"])
    migrations = shop_live["migrations"]
    assert migrations[0]["warnings"] == []
    assert all(m["warnings"] for m in migrations[1:])
    # The live schema has the FK of shop.0001: its name is introspected.
    remove = by_name(shop_live)["shop.0005_remove_order_customer"]
    assert "DROP CONSTRAINT" in remove["statements"][0]["sql"]


# -- SQLite-configured project, selection and setup errors ------------------------


@pytest.fixture(scope="module")
def shop_sqlite(shop_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Result:
    sqlite_path = tmp_path_factory.mktemp("sqlite") / "never-created.sqlite3"
    # A private TMPDIR: the embedded server's files must be gone afterwards.
    private_tmp = tmp_path_factory.mktemp("tmp")
    return run_driver(
        "shop_sqlite",
        env={"SHOP_SQLITE_PATH": str(sqlite_path), "TMPDIR": str(private_tmp)},
        project=str(shop_project),
    )


def test_sqlite_project_replays_postgres_sql_without_creating_the_file(
    shop_sqlite: Result,
) -> None:
    assert shop_sqlite["sqlite_created"] is False
    replay = shop_sqlite["replay"]
    assert "error" not in replay
    migration = by_name(replay)["shop.0001_initial"]
    assert "GENERATED BY DEFAULT AS IDENTITY" in migration["statements"][0]["sql"]
    assert migration["sql_text"].startswith("BEGIN;\n")
    # sqlreview started the embedded server itself, and removed it.
    assert shop_sqlite["embedded_dirs_left"] == []
    assert shop_sqlite["interrupt"] == {"interrupted": True, "connection_restored": True}


def test_live_mode_needs_postgres(shop_sqlite: Result) -> None:
    assert "not PostgreSQL" in shop_sqlite["live"]["error"]
    assert "replay" in shop_sqlite["live"]["error"]


def test_selection_errors_say_what_to_do(shop_sqlite: Result) -> None:
    selections = shop_sqlite["selections"]
    assert "--all" in selections["unreachable"]["error"]
    assert "Connection refused" in selections["unreachable"]["error"]
    assert "choose one of default, unreachable" in selections["unknown_alias"]["error"]
    assert "no installed app with label 'nope'" in selections["unknown_app"]["error"]
    assert "more than one migration" in selections["ambiguous"]["error"]
    assert "showmigrations shop" in selections["unknown_prefix"]["error"]
    assert "not both" in selections["both"]["error"]


def test_named_targets_and_all(shop_sqlite: Result) -> None:
    selections = shop_sqlite["selections"]
    assert selections["shop_0002"] == {
        "reviewed": ["shop.0002_runsql"],
        "walk": ["shop.0001_initial", "shop.0002_runsql"],
        "warnings": [],
    }
    assert selections["squashy_app"]["reviewed"] == ["squashy.0001_squashed_0002_item_price"]
    # A replaced migration named explicitly: the graph without replacements.
    assert selections["squashy_replaced"] == {
        "reviewed": ["squashy.0002_item_price"],
        "walk": ["squashy.0001_initial", "squashy.0002_item_price"],
        "warnings": [],
    }
    assert selections["squashy_exact"]["reviewed"] == ["squashy.0001_initial"]
    own = selections["all"]["reviewed"]
    assert not any(name.startswith("contenttypes.") for name in own)
    assert "squashy.0001_squashed_0002_item_price" in own
    assert "squashy.0001_initial" not in own
    assert selections["all_third_party"]["reviewed"][:2] == [
        "contenttypes.0001_initial",
        "contenttypes.0002_remove_content_type_name",
    ]


def test_setup_errors_say_what_to_do(tmp_path: Path) -> None:
    project = write_broken_project(tmp_path)
    errors = run_driver("broken", project=str(project))
    assert "cannot import the settings module 'sqlreview_no_such_settings'" in errors["missing"]
    assert "--pythonpath" in errors["missing"]
    assert "sqlreview_no_such_settings_dependency" in errors["bad"]
    for key in ("import_all", "import_pending"):
        assert "broken/migrations/0001_initial.py, line 2" in errors[key]
        assert "sqlreview_no_such_module" in errors[key]


# -- the sample project: byte-identical to sqlmigrate ---------------------------


@pytest.fixture(scope="module")
def sample(pg_server: ScratchServer) -> Iterator[Result]:
    if not (SAMPLE / "manage.py").exists():
        pytest.skip("sample_migrations/ is not there yet")
    with pg_server.temporary_database(prefix="sqlreview_test") as configured:
        yield run_driver(
            "sample",
            env={"SAMPLE_DATABASE_URL": configured},
            project=str(SAMPLE),
            scratch_url=pg_server.url,
        )


def test_sql_text_is_byte_identical_to_sqlmigrate(sample: Result) -> None:
    assert sample["count"] >= 16
    assert sample["labels"][0].startswith("legacy.0001_squashed_")
    assert sample["errors"] == []
    assert sample["mismatches"] == []
    # Django 4.2 has no db_default: the sample falls back to default=timezone.now,
    # whose value is baked into the SQL at render time.
    expected = [] if sample["django_version"] >= [5, 0] else ["library.0004_book_created_at"]
    assert sample["time_dependent"] == expected
    assert sample["tables_after_replay"] == 0


def test_live_mode_does_not_run_nested_run_python(sample: Result) -> None:
    live = sample["live"]
    assert live["reviewed"] == ["library.0022_rename_publisher_imprint"]
    assert live["same_as_replay"] is True
    assert [s["kind"] for s in live["statements"]] == ["python"]
    assert live["rows_before"] == live["rows_after_live"] == 0
    # Django's own sqlmigrate runs it (and writes the row): what we avoid.
    assert live["rows_after_sqlmigrate"] == 1


def test_manage_py_sqlreview_help() -> None:
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"
    }
    environment["PYTHONPATH"] = str(REPO)
    process = subprocess.run(
        [sys.executable, "manage.py", "sqlreview", "--help"],
        cwd=SAMPLE,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    assert "usage:" in process.stdout
    assert "sqlreview" in process.stdout


# -- --trace: what PostgreSQL did while each migration was applied ----------------


def observations(result: Result) -> list[tuple[str, Result, Result | None]]:
    """(migration label, statement, its observation) for every rendered statement."""
    return [
        (label, statement, statement["observation"])
        for label, migration in by_name(result).items()
        for statement in migration["statements"]
    ]


def sql_observation(result: Result, label: str, index: int = 0) -> Result:
    statements = [s for s in by_name(result)[label]["statements"] if s["kind"] == "sql"]
    observation: Result = statements[index]["observation"]
    return observation


def test_trace_changes_nothing_but_the_observations(
    sample: Result, shop_replay: tuple[Result, str]
) -> None:
    for trace in (sample["trace"], shop_replay[0]["trace"]):
        assert trace["same_as_untraced"] is True
        assert trace["untraced_observations"]
        assert all(o is None for o in trace["untraced_observations"])
        assert "--trace needs replay mode" in trace["live_error"]


def test_trace_observes_every_sql_statement_of_the_sample(sample: Result) -> None:
    traced = sample["trace"]["render"]
    assert traced["warnings"] == []
    for migration in traced["migrations"]:
        assert migration["apply_error"] is None
        unexpected = [w for w in migration["warnings"] if not (
            is_time_dependent_warning(w) and TIME_LITERAL.search(migration["sql_text"]))]
        assert unexpected == [], migration["name"]
    missing = [
        (label, s["sql"])
        for label, s, observation in observations(traced)
        if s["kind"] == "sql" and observation is None
    ]
    assert missing == []
    assert all(o["error"] is None for _, _, o in observations(traced) if o is not None)


def test_trace_sees_the_rewrite_of_int_to_bigint(sample: Result) -> None:
    observation = sql_observation(sample["trace"]["render"], "library.0011_alter_book_copies_sold")
    assert observation["rewritten"] == ["library_book"]
    assert observation["locks"]["library_book"] == "AccessExclusiveLock"


def test_trace_sees_no_rewrite_when_varchar_widens(sample: Result) -> None:
    observation = sql_observation(sample["trace"]["render"], "library.0012_alter_book_title")
    assert observation["rewritten"] == []
    assert observation["locks"] == {"library_book": "AccessExclusiveLock"}


def test_trace_reads_the_locks_of_create_index_concurrently(sample: Result) -> None:
    label = "library.0007_author_library_author_name_idx"
    assert by_name(sample["trace"]["render"])[label]["atomic"] is False
    observation = sql_observation(sample["trace"]["render"], label)
    assert observation["locks"] == {"library_author": "ShareUpdateExclusiveLock"}
    assert observation["rewritten"] == []
    assert any("outside a transaction" in note for note in observation["notes"])


def test_trace_attaches_run_python_queries_to_the_python_statement(sample: Result) -> None:
    traced = by_name(sample["trace"]["render"])
    # Non-atomic: each ORM query of the backfill ran in autocommit.
    backfill = traced["library.0017_backfill_book_sort_title"]["statements"]
    assert [s["kind"] for s in backfill] == ["python"]
    assert backfill[0]["observation"]["locks"] == {"library_book": "AccessShareLock"}
    # Nested in SeparateDatabaseAndState: an UPDATE and an INSERT of audit rows.
    relabel = traced["library.0022_rename_publisher_imprint"]["statements"]
    assert relabel[0]["observation"]["locks"]["library_auditlogentry"] == "RowExclusiveLock"


def test_trace_attaches_no_bookkeeping(sample: Result, shop_replay: tuple[Result, str]) -> None:
    """Django's INSERT INTO django_migrations (RowExclusiveLock) runs after every migration."""
    for traced in (sample["trace"]["render"], shop_replay[0]["trace"]["render"]):
        named = [
            (label, s["sql"])
            for label, s, observation in observations(traced)
            if observation is not None and "django_migrations" in observation["locks"]
        ]
        assert named == []


def test_trace_of_edge_cases(shop_replay: tuple[Result, str]) -> None:
    traced = shop_replay[0]["trace"]["render"]
    # A statement that failed: its error; the review went on.
    extension = sql_observation(traced, "exotic.0001_extension")
    assert "sqlreview_no_such_extension" in extension["error"]
    # Several statements in one RunSQL string: one observation for the whole.
    audit = sql_observation(traced, "shop.0002_runsql", 2)
    assert audit["locks"] == {"shop_audit": "AccessExclusiveLock"}
    assert audit["index_locks"] == {"shop_audit_id": "AccessExclusiveLock"}
    update = sql_observation(traced, "shop.0002_runsql", 1)
    assert update["scanned"] == ["shop_customer"]
    concurrent = sql_observation(traced, "shop.0003_concurrent")
    assert concurrent["locks"] == {"shop_customer": "ShareUpdateExclusiveLock"}
    python = by_name(traced)["shop.0004_python"]["statements"]
    assert python[0]["observation"]["locks"] == {
        "shop_customer": "RowExclusiveLock",
        "shop_customer_id_seq": "RowExclusiveLock",
    }
    # The nested RunPython inserts into shop_customer too, already locked by then.
    assert python[1]["observation"]["locks"] == {}
    assert python[2]["observation"]["locks"] == {"shop_tag": "AccessExclusiveLock"}


@pytest.fixture(scope="module")
def trace_edges(pg_server: ScratchServer, tmp_path_factory: pytest.TempPathFactory) -> Result:
    project = write_trace_project(tmp_path_factory.mktemp("traceproject"))
    return run_driver("trace_edges", project=str(project), scratch_url=pg_server.url)


def test_trace_of_transaction_edge_cases(trace_edges: Result) -> None:
    assert trace_edges["same_as_untraced"] is True
    traced = trace_edges["render"]
    assert all(m["apply_error"] is None and m["warnings"] == [] for m in traced["migrations"])
    first = by_name(traced)["tracey.0001_initial"]["statements"]
    assert [s["kind"] for s in first] == ["sql", "python", "opaque", "sql"]
    # schema_editor.execute inside RunPython belongs to the RunPython; the
    # IntegrityError it caught is a note, not an error of the migration.
    python = first[1]["observation"]
    assert python["error"] is None
    assert python["index_locks"] == {"tracey_thing_name": "AccessExclusiveLock"}
    assert any("IntegrityError" in note for note in python["notes"])
    # Django's savepoint names carry the thread id: recorded without it.
    savepoints = [sql for sql in first[1]["executed"] if "SAVEPOINT" in sql]
    assert savepoints and all('"s<thread>_x' in sql for sql in savepoints), savepoints
    # What an operation that cannot be written as SQL ran: on its placeholder
    # (the table is already locked by CreateModel, so no new lock).
    assert first[2]["observation"] is not None
    assert first[3]["observation"]["scanned"] == ["tracey_thing"]

    second = [s["observation"] for s in by_name(traced)["tracey.0002_nonatomic"]["statements"]]
    vacuum_full, drop_concurrently, begin, update, commit, left_open, select, commit2, more = second
    assert vacuum_full["locks"] == {"tracey_thing": "AccessExclusiveLock"}
    assert vacuum_full["rewritten"] == ["tracey_thing"]
    assert drop_concurrently["locks"] == {"tracey_thing": "ShareUpdateExclusiveLock"}
    assert drop_concurrently["index_locks"] == {"tracey_thing_name": "ShareUpdateExclusiveLock"}
    assert begin["notes"] == commit["notes"] == ["transaction control: not measured"]
    assert update["locks"] == {"tracey_thing": "RowExclusiveLock"}
    assert left_open["locks"] == {"tracey_thing": "ShareLock"}
    assert select["locks"] == {}  # in the transaction left open, which holds the lock
    assert commit2["notes"] == ["transaction control: not measured"]
    assert more["locks"] == {"tracey_thing": "AccessExclusiveLock"}
