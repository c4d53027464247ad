"""What the benchmark asks of Django itself, one task per process.

    python benchmarks/djangotasks.py TASK --report FILE [options]

Run with the synthetic project on the import path and ``DJANGO_SETTINGS_MODULE`` set
(``SYNTH_DATABASE_URL`` for PostgreSQL, ``SYNTH_SQLITE_PATH`` for SQLite). Each task writes
its result as JSON to ``--report``:

``plan``          the forward plan of the whole project, as ``migrate`` would run it
``record``        mark the first ``--count`` migrations of the plan as applied (no SQL run)
``collect``       Django's one-pass ``MigrationLoader.collect_sql`` over the whole plan
                  (the floor), timed in-process
``sqlmigrate``    ``call_command("sqlmigrate")`` on an evenly spaced sample of the plan, each
                  call timed, in one process (what migration linters do, once per migration)
``parent``        ``migrate`` to the parent of the plan's last ``--last`` migrations, then one
                  ``sqlmigrate`` per migration (how to get their exact SQL without sqlreview)
``migrate-to``    really ``migrate`` (SQL run, not ``--fake``) the first ``--count`` migrations
                  of the plan: the database the pre-state measurements read
``pending-loop``  issue 16's "``sqlmigrate`` loop": ``call_command("sqlmigrate", app, name)`` for
                  each migration not yet applied on the database, in plan order, each call
                  timed, in one process (the baseline of a pending review); a call that
                  raises is listed in ``failed`` and the loop goes on
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django

if TYPE_CHECKING:
    from django.db.migrations.graph import MigrationGraph

Node = tuple[str, str]


def forward_plan(graph: MigrationGraph | None = None) -> list[Node]:
    """The plan `migrate` runs on an empty database (squashed migrations used)."""
    from django.db.migrations.loader import MigrationLoader

    if graph is None:
        graph = MigrationLoader(None, ignore_no_migrations=True).graph
    plan: list[Node] = []
    seen: set[Node] = set()
    for leaf in graph.leaf_nodes():
        for node in graph.forwards_plan(leaf):
            if node not in seen:
                seen.add(node)
                plan.append(node)
    return plan


def task_plan(_: argparse.Namespace) -> dict[str, Any]:
    return {"plan": forward_plan()}


def task_record(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    applied = forward_plan(executor.loader.graph)[: args.count]
    for node in applied:
        # A squashed migration is recorded as the migrations it replaces, as migrate does.
        for app, name in executor.loader.graph.nodes[node].replaces or [node]:
            executor.recorder.record_applied(app, name)
    return {"recorded": len(applied)}


def task_collect(_: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    start = time.perf_counter()
    statements = executor.loader.collect_sql(plan)
    return {"seconds": time.perf_counter() - start, "migrations": len(plan),
            "statements": len(statements)}


def evenly_spaced(items: list[Node], count: int) -> list[Node]:
    if len(items) <= count:
        return list(items)
    last = len(items) - 1
    return [items[round(i * last / (count - 1))] for i in range(count)]


def sqlmigrate(node: Node) -> None:
    from django.core.management import call_command

    call_command("sqlmigrate", node[0], node[1], stdout=io.StringIO())


def task_sqlmigrate(args: argparse.Namespace) -> dict[str, Any]:
    plan = forward_plan()
    sqlmigrate(plan[0])  # warm-up: imports, connection; counted in the process time only
    timings = []
    for node in evenly_spaced(plan, args.sample):
        start = time.perf_counter()
        sqlmigrate(node)
        timings.append(time.perf_counter() - start)
    return {"calls": timings, "migrations": len(plan)}


def task_parent(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    start = time.perf_counter()
    executor = MigrationExecutor(connection)
    plan = forward_plan(executor.loader.graph)
    before, reviewed = plan[: -args.last], plan[-args.last:]
    targets = list({app: (app, name) for app, name in before}.values())
    executor.migrate(targets)
    migrated = time.perf_counter() - start
    for node in reviewed:
        sqlmigrate(node)
    return {"migrate_seconds": migrated, "sqlmigrate_seconds": time.perf_counter() - start
            - migrated, "reviewed": [f"{app}:{name}" for app, name in reviewed]}


def task_migrate_to(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    applied = forward_plan(executor.loader.graph)[: args.count]
    # Each app's last migration in the prefix; the prefix holds its dependencies.
    executor.migrate(list({app: (app, name) for app, name in applied}.values()))
    return {"migrated": len(applied)}


def pending(graph: MigrationGraph, applied: set[Node]) -> list[Node]:
    """The plan's migrations the database has not applied (a squashed one counts as applied
    when every migration it replaces is)."""
    def done(node: Node) -> bool:
        replaces = graph.nodes[node].replaces
        return node in applied or (bool(replaces) and all(tuple(r) in applied
                                                          for r in replaces))
    return [node for node in forward_plan(graph) if not done(node)]


def task_pending_loop(_: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    nodes = pending(loader.graph, set(loader.applied_migrations))
    timings = []
    failed: dict[str, str] = {}
    for node in nodes:
        start = time.perf_counter()
        try:
            sqlmigrate(node)
        except Exception as error:  # a failed call is part of the result
            # e.g. a RunPython inside SeparateDatabaseAndState: sqlmigrate runs it, on a
            # database that lacks what the earlier pending migrations would create.
            failed[f"{node[0]}:{node[1]}"] = f"{type(error).__name__}: {error}".splitlines()[0]
        timings.append(time.perf_counter() - start)
    return {"calls": timings, "pending": [f"{app}:{name}" for app, name in nodes],
            "failed": failed}


TASKS = {"plan": task_plan, "record": task_record, "collect": task_collect,
         "sqlmigrate": task_sqlmigrate, "parent": task_parent, "migrate-to": task_migrate_to,
         "pending-loop": task_pending_loop}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--count", type=int, default=0,
                        help="record, migrate-to: migrations of the plan")
    parser.add_argument("--sample", type=int, default=40, help="sqlmigrate: calls at most")
    parser.add_argument("--last", type=int, default=3, help="parent: migrations reviewed")
    args = parser.parse_args()
    django.setup()
    result = TASKS[args.task](args)
    args.report.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
