"""Run one Django scenario in a fresh process and print its findings as JSON.

Django can be configured once per process, so every test project runs here:
``python tests/django/driver.py SCENARIO '{"json": "args"}'``. The last line
of stdout is the JSON result; the tests assert on it.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any
from unittest import mock

from sqlreview.django.errors import DjangoSetupError
from sqlreview.django.setup import setup_django
from tests.django.timing import is_time_dependent_warning, mask_now

Result = dict[str, Any]


def _select(**kwargs: Any) -> Result:
    from sqlreview.django.select import SelectionRequest, select_migrations

    try:
        selection = select_migrations(SelectionRequest(**kwargs))
    except DjangoSetupError as error:
        return {"error": str(error)}
    return {
        "reviewed": [".".join(key) for key in selection.reviewed],
        "walk": [".".join(key) for key in selection.walk],
        "warnings": selection.warnings,
    }


def _render(
    mode: str = "replay", scratch_url: str | None = None, trace: bool = False, **kwargs: Any
) -> Result:
    from sqlreview.django.run import render_migrations
    from sqlreview.django.select import SelectionRequest

    try:
        result = render_migrations(
            SelectionRequest(**kwargs),
            mode,  # type: ignore[arg-type]
            scratch_url,
            trace=trace,
        )
    except DjangoSetupError as error:
        return {"error": str(error)}
    data = result.to_json()
    for migration, rendered in zip(data["migrations"], result.migrations, strict=True):
        migration["has_schema_before"] = rendered.schema_before is not None
    return data


def _scratch_databases(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'sqlreview_replay%'"
        ).fetchall()
    return [row[0] for row in rows]


def _interrupted_render(scratch_url: str | None) -> Result:
    """Interrupt a replay half-way (Ctrl-C while rendering): what is left behind?"""
    from django.db import connections

    from sqlreview.django import apply  # where replay renders each migration

    original_connection = connections["default"]

    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    try:
        with mock.patch.object(apply, "render_migration", interrupt):
            _render(scratch_url=scratch_url, targets=("shop",))
    except KeyboardInterrupt:
        interrupted = True
    else:
        interrupted = False
    return {
        "interrupted": interrupted,
        "connection_restored": connections["default"] is original_connection,
    }


def _without_observations(result: Result) -> Result:
    """A render's JSON with the observations taken out, to compare traced and untraced.

    On Django 4.2 a callable default (``timezone.now``) is rendered as the time
    of rendering (and a RunPython writing ``timezone.now()`` runs with the time
    of running), so two renders differ there: those literals are masked, and
    the trace's warning that such SQL ran differently is dropped.
    """
    copy: dict[str, Any] = json.loads(json.dumps(result))
    for migration in copy.get("migrations", []):
        migration["sql_text"] = mask_now(migration.get("sql_text", ""))
        migration["warnings"] = [w for w in migration.get("warnings", [])
                                 if not is_time_dependent_warning(w)]
        migration["executed_by_python"] = [
            mask_now(sql) for sql in migration.get("executed_by_python", [])]
        for statement in migration["statements"]:
            statement.pop("observation", None)
            statement["sql"] = mask_now(statement["sql"])
            statement["executed"] = [mask_now(sql) for sql in statement.get("executed", [])]
    return copy


def _traced(scratch_url: str, untraced: Result, **kwargs: Any) -> Result:
    """A render with --trace, and whether everything but the observations is unchanged."""
    traced = _render(scratch_url=scratch_url, trace=True, **kwargs)
    return {
        "render": traced,
        "same_as_untraced": _without_observations(traced) == _without_observations(untraced),
        "untraced_observations": [
            s["observation"] for m in untraced["migrations"] for s in m["statements"]
        ],
        "live_error": _render(mode="live", trace=True, **kwargs).get("error"),
    }


def shop_replay(project: str, scratch_url: str) -> Result:
    setup_django("shopproj.settings", project)
    result = _render(scratch_url=scratch_url)
    result["trace"] = _traced(scratch_url, result)
    result["interrupt"] = _interrupted_render(scratch_url)
    result["interrupt"]["leftover_databases"] = _scratch_databases(scratch_url)
    return result


def trace_edges(project: str, scratch_url: str) -> Result:
    setup_django("traceproj.settings", project)
    untraced = _render(scratch_url=scratch_url, all_migrations=True)
    return _traced(scratch_url, untraced, all_migrations=True)


def shop_live(project: str) -> Result:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    setup_django("shopproj.settings", project)
    call_command("migrate", "shop", "0003", verbosity=0)
    # squashy half applied: the squashed migration cannot be used.
    MigrationRecorder(connection).record_applied("squashy", "0001_initial")
    before = _database_snapshot()
    result = _render(mode="live")
    result["before"] = before
    result["after"] = _database_snapshot()
    with connection.cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        result["read_only_after"] = cursor.fetchone()[0]
    return result


def _database_snapshot() -> Result:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' ORDER BY 1"
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT name FROM shop_customer ORDER BY id")
        customers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        applied = [".".join(row) for row in cursor.fetchall()]
        cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
        extensions = [row[0] for row in cursor.fetchall()]
    return {
        "tables": tables,
        "customers": customers,
        "applied": applied,
        "extensions": extensions,
    }


def _embedded_dirs() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("sqlreview-pg-")}


def shop_sqlite(project: str) -> Result:
    setup_django("shopproj.settings", project)
    sqlite_path = os.environ["SHOP_SQLITE_PATH"]
    selections = {
        "unreachable": _select(database="unreachable"),
        "unknown_alias": _select(database="nope"),
        "unknown_app": _select(targets=("nope",)),
        "ambiguous": _select(targets=("shop:000",)),
        "unknown_prefix": _select(targets=("shop:9999",)),
        "both": _select(targets=("shop",), all_migrations=True),
        "shop_0002": _select(targets=("shop:0002",)),
        "squashy_app": _select(targets=("squashy",)),
        "squashy_replaced": _select(targets=("squashy:0002",)),
        "squashy_exact": _select(targets=("squashy:0001_initial",)),
        "all": _select(all_migrations=True),
        "all_third_party": _select(all_migrations=True, include_third_party=True),
    }
    dirs_before = _embedded_dirs()
    replay = _render()  # embedded server started and stopped by sqlreview
    live = _render(mode="live")
    interrupt = _interrupted_render(None)
    return {
        "selections": selections,
        "replay": replay,
        "live": live,
        "interrupt": interrupt,
        "embedded_dirs_left": sorted(_embedded_dirs() - dirs_before),
        "sqlite_created": os.path.exists(sqlite_path),
    }


def broken(project: str) -> Result:
    errors: Result = {}
    for label, settings in (
        ("missing", "sqlreview_no_such_settings"),
        ("bad", "brokenproj.badsettings"),
    ):
        try:
            setup_django(settings, project)
        except DjangoSetupError as error:
            errors[label] = str(error)
    setup_django("brokenproj.settings", project)
    errors["import_all"] = _import_error(all_migrations=True)
    errors["import_pending"] = _import_error()
    return errors


def _import_error(**kwargs: Any) -> str | None:
    """A module that fails to import is selected as a stand-in that carries its error."""
    from sqlreview.django.loading import import_error_of
    from sqlreview.django.select import SelectionRequest, select_migrations

    selection = select_migrations(SelectionRequest(**kwargs))
    found = [import_error_of(selection.migration(key)) for key in selection.reviewed]
    return next((error for error in found if error), None)


def sample(project: str, scratch_url: str) -> Result:
    """The acceptance walk: our sql_text == sqlmigrate's, for every migration."""
    import django
    from django.core.management import call_command
    from django.db import connection

    setup_django("sampleproject.settings", project)
    rendered = _render(scratch_url=scratch_url, all_migrations=True)
    trace = _traced(scratch_url, rendered, all_migrations=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        tables_after_replay = cursor.fetchone()[0]
    mismatches: list[Result] = []
    time_dependent: list[str] = []
    live: Result = {}
    for migration in rendered["migrations"]:
        app, name = migration["app_label"], migration["name"]
        if (app, name) == ("library", "0022_rename_publisher_imprint"):
            live = _sample_live(migration)
        out = io.StringIO()
        call_command("sqlmigrate", app, name, stdout=out, stderr=io.StringIO())
        if out.getvalue() == migration["sql_text"]:
            pass
        elif mask_now(out.getvalue()) == mask_now(migration["sql_text"]):
            # A callable default (timezone.now) is evaluated when rendering.
            time_dependent.append(f"{app}.{name}")
        else:
            mismatches.append(
                {
                    "migration": f"{app}.{name}",
                    "ours": migration["sql_text"],
                    "django": out.getvalue(),
                }
            )
        call_command("migrate", app, name, verbosity=0)
    return {
        "count": len(rendered["migrations"]),
        "labels": [f"{m['app_label']}.{m['name']}" for m in rendered["migrations"]],
        "errors": [
            m["error"] or m["apply_error"]
            for m in rendered["migrations"]
            if m["error"] or m["apply_error"]
        ],
        "mismatches": mismatches,
        "time_dependent": time_dependent,
        "django_version": list(django.VERSION[:2]),
        "tables_after_replay": tables_after_replay,
        "live": live,
        "trace": trace,
    }


def _sample_live(replayed: Result) -> Result:
    """library.0022 nests a RunPython that writes an audit row: live must not run it."""
    from django.db import connection

    def audit_rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM library_auditlogentry")
            count: int = cursor.fetchone()[0]
            return count

    before = audit_rows()
    # Named: migrations after 0022 are pending too.
    result = _render(mode="live", targets=("library:0022",))
    after_live = audit_rows()
    out = io.StringIO()
    from django.core.management import call_command

    call_command("sqlmigrate", "library", "0022", stdout=out, stderr=io.StringIO())
    after_sqlmigrate = audit_rows()
    return {
        "reviewed": [f"{m['app_label']}.{m['name']}" for m in result.get("migrations", [])],
        "same_as_replay": [m["sql_text"] for m in result.get("migrations", [])]
        == [replayed["sql_text"]],
        "statements": result.get("migrations", [{}])[0].get("statements"),
        "rows_before": before,
        "rows_after_live": after_live,
        "rows_after_sqlmigrate": after_sqlmigrate,
    }


# What the analyzer's schema model does not hold: functions, triggers, comments, views' text.
_OTHER_OBJECTS = """
SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal
UNION ALL
SELECT 'comment ' || c.relname || coalesce('.' || a.attname, ''), d.description
FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
UNION ALL
SELECT 'view ' || viewname, definition FROM pg_views WHERE schemaname = 'public'
"""


def prestate_catalogs(project: str, settings: str, scratch_url: str, every: int,
                      include_third_party: bool = False) -> Result:
    """The scratch catalog at the pre-state of every ``every``-th migration (and of the last),
    fast vs exact.

    Each pre-state is built twice on the scratch server (``--pre-state fast``
    and ``replay``) and both catalogs are read in full (the schema model, and the
    functions, triggers, comments and views' text it does not hold); the test
    compares them.
    """
    import dataclasses

    import psycopg

    from sqlreview.django import prestate
    from sqlreview.django.scratch_connection import scratch_connections
    from sqlreview.django.select import SelectionRequest, select_migrations
    from sqlreview.pg.introspect import schema_from_cursor
    from sqlreview.scratch import ScratchServer

    setup_django(settings, project)
    server = ScratchServer.at(scratch_url)
    selection = select_migrations(SelectionRequest(all_migrations=True,
                                                   include_third_party=include_third_party))
    compared: dict[str, Any] = {}
    points = sorted({*range(every, len(selection.walk), every), len(selection.walk) - 1})
    for start in points:
        catalogs = []
        for mode in ("fast", "replay"):
            with server.temporary_database("sqlreview_test") as url:
                with scratch_connections(url, "default") as connection:
                    built = prestate.prepare(connection, server, url, selection, start,
                                             prestate.ReplayOptions(pre_state=mode))
                with psycopg.connect(url) as raw:
                    schema = schema_from_cursor(raw.cursor())
                    others: dict[str, str] = dict(raw.execute(_OTHER_OBJECTS).fetchall())
                catalogs.append({
                    "built": built.summary,
                    "others": others,
                    "relations": {key: json.loads(json.dumps(dataclasses.asdict(relation),
                                                             default=str))
                                  for key, relation in schema.relations.items()
                                  if key != "django_migrations"
                                  and not key.startswith("django_migrations_")},
                })
        compared[".".join(selection.walk[start])] = catalogs
    return compared


def sqlmigrate_walk(project: str, settings: str, scratch_url: str,
                    include_third_party: bool = False) -> Result:
    """Every migration of ``project`` under ``settings`` (its own backend): our
    sql_text against ``sqlmigrate``'s, migrating the configured database along.

    A migration Django itself cannot render or apply is recorded with Django's
    error and faked, so the walk goes on as far as Django's own would.
    """
    from django.core.management import call_command

    setup_django(settings, project)
    rendered = _render(scratch_url=scratch_url, all_migrations=True,
                       include_third_party=include_third_party)
    mismatches: list[Result] = []
    django_errors: dict[str, str] = {}
    for migration in rendered["migrations"]:
        app, name = migration["app_label"], migration["name"]
        label = f"{app}.{name}"
        out = io.StringIO()
        try:
            call_command("sqlmigrate", app, name, stdout=out, stderr=io.StringIO())
        except Exception as error:
            django_errors[label] = f"{type(error).__name__}: {error}"
        if label not in django_errors and mask_now(out.getvalue()) != mask_now(
                migration["sql_text"]):
            mismatches.append({"migration": label, "ours": migration["sql_text"],
                               "django": out.getvalue()})
        try:
            call_command("migrate", app, name, verbosity=0)
        except Exception as error:
            django_errors.setdefault(label, f"{type(error).__name__}: {error}")
            call_command("migrate", app, name, fake=True, verbosity=0)
    return {
        "labels": [f"{m['app_label']}.{m['name']}" for m in rendered["migrations"]],
        "errors": {f"{m['app_label']}.{m['name']}": m["error"] or m["apply_error"]
                   for m in rendered["migrations"] if m["error"] or m["apply_error"]},
        "django_errors": django_errors,
        "mismatches": mismatches,
        "atomic": {f"{m['app_label']}.{m['name']}": m["atomic"] for m in rendered["migrations"]},
    }


SCENARIOS: dict[str, Callable[..., Result]] = {
    "sqlmigrate_walk": sqlmigrate_walk,
    "prestate_catalogs": prestate_catalogs,
    "shop_replay": shop_replay,
    "trace_edges": trace_edges,
    "shop_live": shop_live,
    "shop_sqlite": shop_sqlite,
    "broken": broken,
    "sample": sample,
}

if __name__ == "__main__":
    scenario, arguments = sys.argv[1], json.loads(sys.argv[2])
    output = SCENARIOS[scenario](**arguments)
    sys.stdout.write("\n" + json.dumps(output) + "\n")
