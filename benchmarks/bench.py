"""Measure sqlreview's speed on synthetic projects; the results live in BENCHMARKS.md.

    nox -s bench                          N = 100, 500, 1,000 and 2,000; print the tables
    nox -s bench -- --sizes 100,500       only these sizes
    nox -s bench -- --quick               smoke run: N = 100, one run of each measurement
    nox -s bench -- --update              also rewrite the results in BENCHMARKS.md
    nox -s bench -- --prestate-only       only the pre-state sources (N = 1,400 and the sample)
    nox -s bench -- --prestate-sizes 200  the pre-state sources at these sizes
    nox -s bench -- --no-prestate         without them

For each N, a project from benchmarks/synthetic.py is written to a temporary directory and
every measurement runs in a fresh child process through benchmarks/measure.py (wall time and
peak RSS). Each is repeated (3 runs, or 1 when the first run takes over 60 s) and reported as
median and spread (min-max). Speed is measured here, never asserted in tests.

The pre-state part (issue 16) writes the real-shaped variant of the synthetic project (12 apps,
RunSQL, SeparateDatabaseAndState, renamed models and tables, ...) and takes the sample project,
really migrates each on PostgreSQL to all but its pending migrations, and times a pending
review with each pre-state source (fast cold and warm, database, snapshot) beside the
`sqlmigrate` loop over the same pending migrations. Its results have their own markers in
BENCHMARKS.md, so either part can be rerun and rewritten alone.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import django

from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.pg.learn import schema_from_sql
from sqlreview.scratch import ScratchServer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import REAL_SHAPED_APPS, write_project

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "BENCHMARKS.md"
MEASURE = ROOT / "benchmarks" / "measure.py"
TASKS = ROOT / "benchmarks" / "djangotasks.py"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PRESTATE_START, PRESTATE_END = "<!-- bench-prestate:start -->", "<!-- bench-prestate:end -->"
SAMPLE = ROOT / "sample_migrations"

DEFAULT_SIZES = (100, 500, 1000, 2000)
PENDING = 50  # the default-mode review: a database migrated to N - PENDING
LAST = 3  # the "review a pull request" case: the plan's last LAST migrations
SQLMIGRATE_SAMPLE = 40
LONG_RUN = 60.0  # seconds; a measurement whose first run takes longer is run once
SETTINGS = "synthproject.settings"
PRESTATE_SIZES = (1400,)  # issue 16: "pending review of 50 migrations on a 1,400-migration history"
QUICK_PRESTATE_SIZE = 200
HELD_BACK_SHOWN = 20  # sqlreview lists the reasons of at most this many held-back migrations

Node = tuple[str, str]


# ---------------------------------------------------------------------------- running things


@dataclass
class Run:
    seconds: float  # what the table reports
    peak_rss_kib: int | None = None
    wall: float | None = None  # what it cost, when not `seconds` (in-process, extrapolated)
    note: str = ""  # what the run reported about itself, for the row's notes

    @property
    def cost(self) -> float:
        return self.seconds if self.wall is None else self.wall


class CommandFailed(RuntimeError):
    """A measured command exited non-zero; the message ends with its last stderr line."""


@dataclass
class Row:
    size: int | None
    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""
    failure: str = ""
    rate: str = ""
    project: str = ""  # set on the pre-state part's rows: the project they measure

    @property
    def median(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.failure


def measured(command: list[str], env: dict[str, str], cwd: Path | None = None,
             stdout: Path | None = None) -> Run:
    """Run `command` in a fresh child through measure.py: its wall time and peak RSS (its
    standard output written to `stdout`, or discarded)."""
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp, \
            (stdout.open("w") if stdout else open(os.devnull, "w")) as output:
        report = Path(tmp) / "report.json"
        process = subprocess.run(
            [sys.executable, str(MEASURE), str(report), "--", *command],
            env=env, cwd=cwd, stdout=output, stderr=subprocess.PIPE, text=True,
        )
        if process.returncode != 0 or not report.exists():
            lines = [line for line in process.stderr.splitlines() if line.strip()]
            last = lines[-1] if lines else "no output"
            raise CommandFailed(f"`{' '.join(command[:6])} ...` exited {process.returncode}: "
                                f"{last}")
        data = json.loads(report.read_text())
        return Run(data["seconds"], data["peak_rss_kib"])


def django_task(task: str, env: dict[str, str], *options: str) -> tuple[Run, dict[str, Any]]:
    """Run one task of djangotasks.py on the project; its run and its JSON report."""
    with tempfile.TemporaryDirectory(prefix="bench-task-") as tmp:
        report = Path(tmp) / "task.json"
        run = measured([sys.executable, str(TASKS), task, "--report", str(report), *options],
                       env)
        return run, json.loads(report.read_text())


def repeat(runs: int, once: Callable[[], list[Run]], label: str) -> list[list[Run]]:
    """`once` up to `runs` times; once only when its first run takes over LONG_RUN."""
    results: list[list[Run]] = []
    for number in range(runs):
        result = once()
        results.append(result)
        took = max(run.cost for run in result)
        progress(f"{label}: {', '.join(f'{run.seconds:.2f} s' for run in result)} "
                 f"(run {number + 1}/{runs})")
        if took > LONG_RUN:
            break
    return results


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- the project


@dataclass
class Project:
    size: int
    directory: Path
    server: ScratchServer
    sqlreview_flags: set[str]
    scratch_url: str | None
    plan: list[Node] = field(default_factory=list)

    @property
    def sqlite(self) -> Path:
        """A SQLite database on which the plan minus its last PENDING is recorded as applied."""
        return self.directory / "migrated.sqlite3"

    def env(self, database_url: str | None = None, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("SYNTH_DATABASE_URL", None)
        paths = [str(self.directory), *filter(None, [os.environ.get("PYTHONPATH")])]
        env.update(DJANGO_SETTINGS_MODULE=SETTINGS, SYNTH_SQLITE_PATH=str(self.sqlite),
                   PYTHONPATH=os.pathsep.join(paths), **extra)
        if database_url:
            env["SYNTH_DATABASE_URL"] = database_url
        return env

    def prepare(self) -> None:
        write_project(self.directory, self.size)
        _, report = django_task("plan", self.env())
        self.plan = [(app, name) for app, name in report["plan"]]
        django_task("record", self.env(), "--count", str(len(self.plan) - PENDING))

    def sqlreview(self, *arguments: str, cache: Path | None) -> list[str]:
        command = [sys.executable, "-m", "sqlreview", *arguments, "--settings", SETTINGS,
                   "--pythonpath", str(self.directory), "--format", "json",
                   "--fail-on", "never"]
        if self.scratch_url:
            command += ["--scratch-url", self.scratch_url]
        if "--quiet" in self.sqlreview_flags:
            command.append("--quiet")
        if cache is not None and "--cache-dir" in self.sqlreview_flags:
            command += ["--cache-dir", str(cache)]
        return command

    def run_sqlreview(self, *arguments: str, cache: Path) -> Run:
        # XDG_CACHE_HOME too, so that a default cache never outlives the run it belongs to.
        return measured(self.sqlreview(*arguments, cache=cache),
                        self.env(XDG_CACHE_HOME=str(cache / "xdg")))

    @property
    def last(self) -> list[str]:
        return [f"{app}:{name}" for app, name in self.plan[-LAST:]]


def sqlreview_flags() -> set[str]:
    """The optional flags the installed sqlreview supports (the cache came late)."""
    output = subprocess.run([sys.executable, "-m", "sqlreview", "--help"], capture_output=True,
                            text=True, check=True).stdout
    return {flag for flag in ("--cache-dir", "--no-cache", "--pre-state", "--quiet")
            if re.search(rf"{flag}\b", output)}


# ---------------------------------------------------------------------------- measurements


def measure(rows: list[Row], row: Row, runs: int, once: Callable[[], list[Run]],
            *companions: Row) -> None:
    """Fill `row` (and `companions`, one per further Run that `once` returns)."""
    label = f"N={row.size} {row.name}" if row.size else row.name
    if row.project:
        label = f"{row.project}: {label}"
    try:
        results = repeat(runs, once, label)
    except CommandFailed as error:
        progress(f"{label}: FAILED: {error}")
        for each in (row, *companions):
            each.failure = str(error)
    else:
        for position, each in enumerate((row, *companions)):
            each.runs = [result[position] for result in results]
    rows.extend((row, *companions))


def fresh_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench-cache-"))


def bench_size(project: Project, runs: int) -> list[Row]:
    rows: list[Row] = []
    total = len(project.plan)
    cache_supported = "--cache-dir" in project.sqlreview_flags

    def cold(*arguments: str) -> Callable[[], list[Run]]:
        def once() -> list[Run]:
            cache = fresh_dir()
            try:
                return [project.run_sqlreview(*arguments, cache=cache)]
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        return once

    measure(rows, Row(project.size, "`sqlreview --all`", note=f"{total} migrations, JSON to "
                      "/dev/null"), runs, cold("--all"))
    measure(rows, Row(project.size, "`sqlreview` (pending)",
                      note=f"the last {PENDING} of {total}, on a database migrated to "
                      f"N - {PENDING}"), runs, cold())

    def last_cold_warm() -> list[Run]:
        cache = fresh_dir()
        try:
            first = project.run_sqlreview(*project.last, cache=cache)
            return [first, project.run_sqlreview(*project.last, cache=cache)]
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    targets = " ".join(project.last)
    if cache_supported:
        measure(rows, Row(project.size, f"`sqlreview` last {LAST}, cold cache",
                          note=f"`{targets}`, empty `--cache-dir`"), runs, last_cold_warm,
                Row(project.size, f"`sqlreview` last {LAST}, warm cache",
                    note="same `--cache-dir`, second run"))
    else:
        measure(rows, Row(project.size, f"`sqlreview` last {LAST}, no cache",
                          note=f"`{targets}`; this sqlreview has no `--cache-dir`: "
                          "the warm-cache row is skipped"), runs, cold(*project.last))

    def with_database(task: str, *options: str) -> Callable[[], list[Run]]:
        def once() -> list[Run]:
            with project.server.temporary_database(prefix="bench") as url:
                run, report = django_task(task, project.env(url), *options)
            return [adjust(task, run, report)]
        return once

    measure(rows, Row(project.size, f"`migrate` to the parent + {LAST} `sqlmigrate`",
                      note="one process on PostgreSQL: `MigrationExecutor.migrate` to the "
                      f"parent of the last {LAST}, then `call_command('sqlmigrate')` each"),
            runs, with_database("parent", "--last", str(LAST)))
    sample = min(SQLMIGRATE_SAMPLE, total)
    measure(rows, Row(project.size, "`sqlmigrate` loop over all migrations",
                      note=(f"**extrapolated**: {sample} evenly spaced calls timed, in one "
                            f"process, mean x {total} + setup" if sample < total else
                            f"all {total} calls, in one process")),
            runs, with_database("sqlmigrate", "--sample", str(sample)))

    def migrate_empty() -> list[Run]:
        with project.server.temporary_database(prefix="bench") as url:
            command = [sys.executable, "-m", "django", "migrate", "--settings", SETTINGS,
                       "--pythonpath", str(project.directory)]
            return [measured(command, project.env(url))]

    measure(rows, Row(project.size, "`migrate` from empty", note="PostgreSQL, fresh database"),
            runs, migrate_empty)
    measure(rows, Row(project.size, "`collect_sql` floor", note="Django's one-pass "
                      "`MigrationLoader.collect_sql(plan)`, timed in-process; peak RSS of "
                      "that process"), runs, with_database("collect"))
    return rows


def adjust(task: str, run: Run, report: dict[str, Any]) -> Run:
    """A task's run as the table reports it (the sqlmigrate loop extrapolated to all of N)."""
    if task == "collect":
        return Run(report["seconds"], run.peak_rss_kib, wall=run.seconds)
    if task == "sqlmigrate":
        calls = report["calls"]
        setup = run.seconds - sum(calls)
        return Run(setup + statistics.mean(calls) * report["migrations"], run.peak_rss_kib,
                   wall=run.seconds)
    return run


# ---------------------------------------------------------------------------- the analyzer

TABLES = 50
AUTHOR = "CREATE TABLE author (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);\n"
SCHEMA = AUTHOR + "".join(
    f"CREATE TABLE book{t} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
    f"title varchar(200) NOT NULL, pages integer, author_id bigint REFERENCES author (id));\n"
    f"CREATE INDEX book{t}_title_idx ON book{t} (title);\n"
    for t in range(TABLES)
)

# Spread over TABLES tables, as a real project's migrations are.
STATEMENTS = [
    'ALTER TABLE "book{t}" ADD COLUMN "c{i}" integer DEFAULT 0 NOT NULL',
    'ALTER TABLE "book{t}" ALTER COLUMN "title" TYPE varchar({w})',
    'CREATE INDEX "book_c{i}_idx" ON "book{t}" ("pages")',
    'CREATE INDEX CONCURRENTLY "book_d{i}_idx" ON "book{t}" ("pages")',
    'UPDATE "book{t}" SET "pages" = {i} WHERE "id" = {i}',
    'ALTER TABLE "book{t}" ADD CONSTRAINT "c{i}_check" CHECK ("pages" > {i}) NOT VALID',
    "SET lock_timeout = '5s'",
    "this is not sql {i}",
]


def mixed_sql(count: int) -> str:
    return "\n".join(
        STATEMENTS[i % len(STATEMENTS)].format(i=i, t=i % TABLES, w=200 + i) + ";"
        for i in range(count)
    )


def timed(task: Callable[[], object]) -> Callable[[], list[Run]]:
    def once() -> list[Run]:
        start = time.perf_counter()
        task()
        return [Run(time.perf_counter() - start)]
    return once


def process(command: list[str], cwd: Path | None = None) -> Callable[[], list[Run]]:
    return lambda: [measured(command, dict(os.environ), cwd=cwd)]


def bench_analyzer(runs: int, tmp: Path) -> list[Row]:
    rows: list[Row] = []
    schema = schema_from_sql(SCHEMA)
    options = AnalyzerOptions(pg_version=14)
    for count in (1_000, 10_000):
        sql = mixed_sql(count)
        row = Row(None, f"analyze {count:,} mixed statements", note="in-process, no I/O")
        measure(rows, row, runs, timed(partial(analyze_sql, sql, options=options,
                                               schema=schema)))
        if row.ok:
            row.rate = f"{count / row.median:,.0f} statements/s"
    measure(rows, Row(None, "embedded PostgreSQL: start and stop",
                      note="what every `sqlreview` run without `--scratch-url` pays"), runs,
            process([sys.executable, "-c", "from sqlreview.scratch import ScratchServer; "
                     "ScratchServer.embedded().stop()"]))
    path = tmp / "mixed-1000.sql"
    path.write_text(mixed_sql(1_000))
    measure(rows, Row(None, "`sqlreview sql` on 1,000 statements", note="process, text table"),
            runs, process([sys.executable, "-m", "sqlreview", "sql", str(path),
                           "--fail-on", "never"]))
    big = tmp / "mixed-40000.sql"
    big.write_text(mixed_sql(40_000))
    row = Row(None, "`sqlreview sql --format json` on 40,000 statements",
              note="process, end to end; peak RSS is the child's")
    measure(rows, row, runs, process([sys.executable, "-m", "sqlreview", "sql", str(big),
                                      "--fail-on", "never", "--format", "json"]))
    if row.ok:
        row.rate = f"{40_000 / row.median:,.0f} statements/s"
    sample = ROOT / "sample_migrations"
    count = sum(1 for app in ("library", "legacy") for _ in (sample / app / "migrations")
                .glob("0*.py"))
    measure(rows, Row(None, "`sqlreview --all` on sample_migrations/",
                      note=f"{count} migration files, replay, start to end"), runs,
            process([sys.executable, "-m", "sqlreview", "--all", "--settings",
                     "sampleproject.settings", "--fail-on", "never", "--format", "json"],
                    cwd=sample))
    return rows


# ---------------------------------------------------------------------------- pre-state sources


@dataclass
class PendingProject:
    """A project on a PostgreSQL database really migrated (not `--fake`: `sqlmigrate` and
    pg_dump read it) to all but its last `pending` migrations, reviewed in pending mode."""

    label: str  # the Project column of the table
    size: int | None  # the N the project was generated with; None: the plan's length
    directory: Path  # put on the import path
    settings: str
    url_variable: str  # the variable its settings read a PostgreSQL URL from
    server: ScratchServer
    scratch_url: str | None
    plan: list[Node] = field(default_factory=list)
    pending: int = PENDING
    database_url: str = ""

    @property
    def n(self) -> int:
        return self.size or len(self.plan)

    @property
    def snapshot(self) -> Path:
        return self.directory / "snapshot.json"

    def env(self, **extra: str) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items()
               if name not in ("SYNTH_DATABASE_URL", "SAMPLE_DATABASE_URL")}
        paths = [str(self.directory), *filter(None, [os.environ.get("PYTHONPATH")])]
        env.update(DJANGO_SETTINGS_MODULE=self.settings, PYTHONPATH=os.pathsep.join(paths),
                   **extra)
        if self.database_url:
            env[self.url_variable] = self.database_url
        return env

    def sqlreview(self, *arguments: str, cache: Path) -> list[str]:
        command = [sys.executable, "-m", "sqlreview", *arguments, "--settings", self.settings,
                   "--pythonpath", str(self.directory), "--format", "json", "--fail-on",
                   "never", "--quiet", "--cache-dir", str(cache)]
        return command + (["--scratch-url", self.scratch_url] if self.scratch_url else [])

    def review(self, *arguments: str, cache: Path) -> tuple[Run, dict[str, Any]]:
        """A pending review, its run and its JSON report."""
        output = cache / "review.json"
        run = measured(self.sqlreview(*arguments, cache=cache),
                       self.env(XDG_CACHE_HOME=str(cache / "xdg")), stdout=output)
        return run, json.loads(output.read_text())

    def stats_dump(self) -> list[str]:
        return [sys.executable, "-m", "sqlreview", "stats", "dump", "--database-url",
                self.database_url, "-o", str(self.snapshot)]


def synthetic_pending(size: int, tmp: Path, server: ScratchServer,
                      scratch_url: str | None) -> PendingProject:
    directory = tmp / f"real{size}"
    write_project(directory, size, shape="real")
    return planned(PendingProject(f"real-shaped, {len(REAL_SHAPED_APPS)} apps", size,
                                  directory, SETTINGS, "SYNTH_DATABASE_URL", server,
                                  scratch_url))


def sample_pending(tmp: Path, server: ScratchServer, scratch_url: str | None) -> PendingProject:
    """sample_migrations/, copied (a review must not leave files in the repository), its
    second half pending: its settings take PostgreSQL from $SAMPLE_DATABASE_URL."""
    directory = tmp / "sample"
    shutil.copytree(SAMPLE, directory, ignore=shutil.ignore_patterns("*.sqlite3",
                                                                      "__pycache__"))
    project = planned(PendingProject("`sample_migrations/`", None, directory,
                                     "sampleproject.settings", "SAMPLE_DATABASE_URL", server,
                                     scratch_url))
    project.pending = len(project.plan) - len(project.plan) // 2
    return project


def planned(project: PendingProject) -> PendingProject:
    _, report = django_task("plan", project.env())
    project.plan = [(app, name) for app, name in report["plan"]]
    return project


@contextlib.contextmanager
def migrated(project: PendingProject) -> Iterator[PendingProject]:
    """The project with a fresh database migrated to all but its pending migrations."""
    with project.server.temporary_database(prefix="benchpre") as url:
        project.database_url = url
        try:
            django_task("migrate-to", project.env(), "--count",
                        str(len(project.plan) - project.pending))
            yield project
        finally:
            project.database_url = ""


def bench_prestate(project: PendingProject, runs: int) -> list[Row]:
    rows: list[Row] = []

    def row(name: str, note: str = "") -> Row:
        return Row(project.n, name, note=note, project=project.label)

    def loop() -> list[Run]:
        run, report = django_task("pending-loop", project.env())
        return [with_note(run, loop_text(report))]

    def fast_cold_warm() -> list[Run]:
        cache = fresh_dir()
        try:
            return [reviewed(project, cache), reviewed(project, cache)]
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    def cold(*arguments: str) -> Callable[[], list[Run]]:
        def once() -> list[Run]:
            cache = fresh_dir()
            try:
                return [reviewed(project, cache, *arguments)]
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        return once

    pending = f"the last {project.pending} of {len(project.plan)}"
    measure(rows, row("`sqlmigrate` loop over the pending",
                      f"issue 16's \"`sqlmigrate` loop\": one process, "
                      f"`call_command('sqlmigrate', app, name)` for each of {pending}"),
            runs, loop)
    measure(rows, row("pending, `--pre-state fast`, cold"), runs, fast_cold_warm,
            row("pending, `--pre-state fast`, warm"))
    measure(rows, row("pending, `--pre-state database`, cold"), runs, cold("--pre-state",
                                                                             "database"))
    measure(rows, row("`stats dump` (the snapshot)", "taken from the migrated database, "
                      "before the snapshot row; not part of a review"), runs,
            lambda: [measured(project.stats_dump(), project.env())])
    measure(rows, row("pending, `--pre-state snapshot`, cold"), runs,
            cold("--pre-state", "snapshot", "--stats", str(project.snapshot)))
    measure(rows, row("pending, `--pre-state database --no-drift`, cold",
                      "no files' pre-state built to compare (no SR007)"), runs,
            cold("--pre-state", "database", "--no-drift"))
    measure(rows, row("pending, `--pre-state snapshot --no-drift`, cold",
                      "no files' pre-state built to compare (no SR007)"), runs,
            cold("--pre-state", "snapshot", "--stats", str(project.snapshot), "--no-drift"))
    for each in rows:
        each.note = "; ".join(filter(None, [each.note, each.runs[-1].note if each.runs else ""]))
    return rows


def loop_text(report: dict[str, Any]) -> str:
    text = f"{len(report['pending'])} calls, {sum(report['calls']):.2f} s in the calls"
    failed = report.get("failed", {})
    if failed:
        first, error = next(iter(failed.items()))
        text += f"; **{len(failed)} failed**, first `{first}`: {error}"
    return text


def with_note(run: Run, note: str) -> Run:
    run.note = note
    return run


def reviewed(project: PendingProject, cache: Path, *arguments: str) -> Run:
    run, report = project.review(*arguments, cache=cache)
    return with_note(run, f"{len(report.get('migrations', []))} reviewed; "
                          f"{pre_state_text(report.get('pre_state'))}")


def pre_state_text(summary: dict[str, Any] | None) -> str:
    """Where a review's pre-state came from, from its JSON `pre_state`."""
    if not summary:
        return "no `pre_state` in the report"
    parts = [f"built {summary.get('built', '?')}"]
    if summary.get("built") == "production":
        parts.append(f"{summary.get('applied_in_production', 0)} applied in the restored "
                     f"schema, {summary.get('applied_on_top', 0)} replayed on top")
    else:
        held = len(summary.get("held_back", {}))
        parts.append(f"{summary.get('created_from_state', 0)} created from the state, "
                     f"{summary.get('replayed', 0)} replayed ({held}"
                     f"{'+' if held >= HELD_BACK_SHOWN else ''} held back by an operation of "
                     "their own, the others for depending on them)")
        if summary.get("replayed_from"):
            parts.append(f"first: {summary['replayed_from']}")
    parts.append(f"cache {summary.get('cache', 'none')}")
    return ", ".join(parts)


PRESTATE_TARGETS = (  # issue 16 item 4: (row, what the loop is divided into, target)
    ("pending, `--pre-state fast`, cold", 1.0, "≤ 1"),
    ("pending, `--pre-state fast`, warm", 0.2, "≤ 1/5"),
    ("pending, `--pre-state database`, cold", 1 / 3, "≤ 1/3"),
    ("pending, `--pre-state snapshot`, cold", 1 / 3, "≤ 1/3"),
    ("pending, `--pre-state database --no-drift`, cold", 1 / 3, "≤ 1/3"),
    ("pending, `--pre-state snapshot --no-drift`, cold", 1 / 3, "≤ 1/3"),
)


def prestate_ratios(rows: list[Row]) -> list[tuple[Row, float, str, bool | None]]:
    """Each review ÷ the loop of its project, with its target where one applies: at
    N = 1,400 (the issue's history). The sample's are shown beside theirs, for reference."""
    found = []
    for loop in (row for row in rows if row.project and row.ok
                 and row.name.startswith("`sqlmigrate` loop")):
        for name, limit, text in PRESTATE_TARGETS:
            review = next((row for row in rows if row.project == loop.project
                           and row.size == loop.size and row.name == name and row.ok), None)
            if review is None:
                continue
            value = review.median / loop.median
            if loop.size in PRESTATE_SIZES:
                found.append((review, value, text, value <= limit))
            elif loop.project.startswith("`sample"):
                found.append((review, value, f"({text}, for reference)", value <= limit))
            else:
                found.append((review, value, "", None))
    return found


def prestate_table(rows: list[Row]) -> list[str]:
    lines = ["| Project | N | Measurement | Median | Spread (min - max) | Runs | Peak RSS | "
             "Notes (the report's `pre_state`) |", "|---|---:|---|---:|---:|---:|---:|---|"]
    lines += [f"| {row.project} | {row.size:,} | {row.name} | " + " | ".join(row_cells(row))
              + " |" for row in rows if row.project]
    return lines


def prestate_ratios_table(rows: list[Row]) -> list[str]:
    lines = ["| Project | N | Ratio | Value | Target | Met |", "|---|---:|---|---:|---|---|"]
    for review, value, text, met in prestate_ratios(rows):
        verdict = "" if met is None else ("met" if met else "**missed**")
        if text.startswith("(") and met is not None:
            verdict = f"({'met' if met else 'missed'})"
        lines.append(f"| {review.project} | {review.size:,} | {review.name} ÷ `sqlmigrate` "
                     f"loop | {value:.2f} | {text} | {verdict} |")
    return lines


def prestate_part(sizes: list[int], runs: int, tmp: Path, server: ScratchServer,
                  scratch_url: str | None) -> list[Row]:
    rows: list[Row] = []
    projects: list[Callable[[], PendingProject]] = [
        *(partial(synthetic_pending, size, tmp, server, scratch_url) for size in sizes),
        partial(sample_pending, tmp, server, scratch_url),
    ]
    for make in projects:
        try:
            project = make()
            progress(f"{project.label}, N={project.n}: migrating a database to all but its "
                     f"last {project.pending}")
            with migrated(project):
                rows += bench_prestate(project, runs)
        except CommandFailed as error:
            progress(f"pre-state part: FAILED: {error}")
            rows.append(Row(0, "setting up the project and its database",
                            failure=str(error), project="(setup)"))
    return rows


# ---------------------------------------------------------------------------- the report


def seconds_text(value: float) -> str:
    return f"{value:.2f} s" if value < 100 else f"{value:,.0f} s"


def rss_text(row: Row) -> str:
    peaks = [run.peak_rss_kib for run in row.runs if run.peak_rss_kib is not None]
    return f"{max(peaks) / 1024:,.0f} MiB" if peaks else "-"


def row_cells(row: Row) -> list[str]:
    if not row.ok:
        return ["-", "-", "0", "-", f"**failed**: {row.failure}" if row.failure else row.note]
    timings = [run.seconds for run in row.runs]
    spread = (f"{seconds_text(min(timings))} - {seconds_text(max(timings))}"
              if len(timings) > 1 else "-")
    return [seconds_text(row.median), spread, str(len(timings)), rss_text(row), row.note]


def measurements_table(rows: list[Row]) -> list[str]:
    lines = ["| N | Measurement | Median | Spread (min - max) | Runs | Peak RSS | Notes |",
             "|---:|---|---:|---:|---:|---:|---|"]
    lines += [f"| {row.size:,} | {row.name} | " + " | ".join(row_cells(row)) + " |"
              for row in rows if row.size and not row.project]
    return lines


def analyzer_table(rows: list[Row]) -> list[str]:
    lines = ["| Measurement | Median | Spread (min - max) | Runs | Peak RSS | Rate | Notes |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        if row.size is None and not row.project:
            cells = row_cells(row)
            lines.append(f"| {row.name} | " + " | ".join(cells[:4]) + f" | {row.rate} | "
                         f"{cells[4]} |")
    return lines


def find(rows: list[Row], size: int, prefix: str) -> Row | None:
    for row in rows:
        if row.size == size and row.name.startswith(prefix) and row.ok and not row.project:
            return row
    return None


@dataclass
class Ratio:
    size: int
    name: str
    value: float | None
    unit: str  # "x" or "s"
    target: str = ""
    met: bool | None = None
    note: str = ""


def ratios(rows: list[Row], sizes: list[int]) -> list[Ratio]:
    found: list[Ratio] = []
    for size in sizes:
        everything = find(rows, size, "`sqlreview --all`")
        loop = find(rows, size, "`sqlmigrate` loop")
        floor = find(rows, size, "`collect_sql` floor")
        cold = find(rows, size, f"`sqlreview` last {LAST}")
        warm = find(rows, size, f"`sqlreview` last {LAST}, warm")
        parent = find(rows, size, "`migrate` to the parent")
        if everything and loop:
            value = loop.median / everything.median
            found.append(Ratio(size, "`sqlmigrate` loop ÷ `--all`", value, "x",
                               *target(size == 1000, "≥ 15x", value >= 15)))
        if everything and floor:
            value = everything.median / floor.median
            found.append(Ratio(size, "`--all` ÷ `collect_sql` floor", value, "x",
                               "≤ 2x", value <= 2))
        if cold and parent:
            value = parent.median / cold.median
            found.append(Ratio(size, f"(`migrate` to parent + {LAST} `sqlmigrate`) ÷ last "
                               f"{LAST} cold", value, "x",
                               *target(size == 500, "≥ 3x", value >= 3)))
        if warm:
            found.append(Ratio(size, f"last {LAST}, warm cache", warm.median, "s",
                               *target(size == 500, "< 3 s", warm.median < 3)))
    if 1000 not in sizes:
        found += interpolated_loop_ratio(found)
    return found


def target(applies: bool, text: str, met: bool) -> tuple[str, bool | None]:
    return (text, met) if applies else ("", None)


def interpolated_loop_ratio(found: list[Ratio]) -> list[Ratio]:
    """The loop ratio at N = 1,000 from the sizes around it, geometrically in N."""
    loop = {r.size: r.value for r in found if r.name.startswith("`sqlmigrate` loop")
            and r.value}
    below = max((size for size in loop if size < 1000), default=None)
    above = min((size for size in loop if size > 1000), default=None)
    if below is None or above is None:
        return []
    weight = math.log(1000 / below) / math.log(above / below)
    value = loop[below] * (loop[above] / loop[below]) ** weight
    return [Ratio(1000, "`sqlmigrate` loop ÷ `--all`", value, "x", "≥ 15x", value >= 15,
                  f"**interpolated** from N = {below:,} and {above:,} (log-log)")]


def ratios_table(found: list[Ratio]) -> list[str]:
    lines = ["| N | Ratio | Value | Target | Met | Notes |", "|---:|---|---:|---|---|---|"]
    for ratio in sorted(found, key=lambda r: (r.size, r.name)):
        value = "-" if ratio.value is None else (
            f"{ratio.value:.1f}x" if ratio.unit == "x" else seconds_text(ratio.value))
        met = "" if ratio.met is None else ("yes" if ratio.met else "**no**")
        lines.append(f"| {ratio.size:,} | {ratio.name} | {value} | {ratio.target} | {met} | "
                     f"{ratio.note} |")
    return lines


def machine(server: ScratchServer, scratch_url: str | None) -> list[str]:
    with server.admin_connection() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    postgres = row[0] if row else "unknown"
    where = "`--scratch-url`" if scratch_url else "embedded"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    return [
        f"- Machine: {cpu_model()}, {os.cpu_count()} cores, {memory()} memory, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {postgres} ({where}), sqlreview at commit `{commit}`",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Load average (1 min) at the start: {load()}",
    ]


def load() -> str:
    with contextlib.suppress(OSError, AttributeError):
        return f"{os.getloadavg()[0]:.2f}"
    return "unknown"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def report(rows: list[Row], sizes: list[int], header: list[str], flags: set[str],
           quick: bool, scratch_url: str | None) -> str:
    sqlreview_runs = ("`sqlreview` runs use the `--scratch-url` server" if scratch_url else
                      "each `sqlreview` run starts its own embedded PostgreSQL, as a user's "
                      "does")
    sqlreview_runs += ", with an empty cache directory unless the row says otherwise"
    arguments = [argument for argument in sys.argv[1:] if argument != "--update"]
    lines = [
        *header,
        f"- Load average (1 min) at the end: {load()}",
        f"- Command: `{' '.join(['python benchmarks/bench.py', *arguments])}`"
        f" (N = {', '.join(f'{size:,}' for size in sizes)}); optional sqlreview flags "
        f"found: {', '.join(sorted(flags)) or 'none'}",
        "",
        *(["**Smoke run** (`--quick`): one run of each measurement; not numbers to compare.",
           ""] if quick else []),
        "Every number is the wall time of a fresh child process (start to end, Python start "
        "included) unless its note says *in-process*; median of 3 runs (1 when the first run "
        f"took over {LONG_RUN:.0f} s), spread = min - max; peak RSS = the largest "
        "`ru_maxrss` of the measured process over the runs (a PostgreSQL server it talks to "
        f"is not counted). Django's own commands run on the same PostgreSQL; {sqlreview_runs}.",
        "",
        *measurements_table(rows),
        "",
        "Ratios (medians from the table above; a target applies at the N it names):",
        "",
        *ratios_table(ratios(rows, sizes)),
        "",
        "Fixed costs and the analyzer alone:",
        "",
        *analyzer_table(rows),
    ]
    return "\n".join(lines) + "\n"


def prestate_report(rows: list[Row], sizes: list[int], header: list[str], quick: bool,
                    scratch_url: str | None) -> str:
    arguments = [argument for argument in sys.argv[1:] if argument != "--update"]
    where = ("the `--scratch-url` server" if scratch_url else
             "its own embedded PostgreSQL, as a user's does")
    lines = [
        *header,
        f"- Load average (1 min) at the end: {load()}",
        f"- Command: `{' '.join(['python benchmarks/bench.py', *arguments])}` (real-shaped "
        f"N = {', '.join(f'{size:,}' for size in sizes)}, and the sample)",
        "",
        *(["**Smoke run** (`--quick`): one run of each measurement; not numbers to compare.",
           ""] if quick else []),
        "Each project is on a PostgreSQL database really migrated (`migrate`, not `--fake`) "
        "to all but its pending migrations; every number is the wall time of a fresh child "
        "process, median of 3 runs (1 when the first took over "
        f"{LONG_RUN:.0f} s). Each `sqlreview` run is a pending review (JSON) that starts "
        f"{where}, with an empty `--cache-dir` except the warm row (the cold run's cache). "
        "The notes are the last run's JSON `pre_state`: how the scratch database reached "
        "the first pending migration.",
        "",
        *prestate_table(rows),
        "",
        "Ratios to the `sqlmigrate` loop of the same project (issue 16 item 4; the targets "
        f"apply at N = {', '.join(f'{size:,}' for size in PRESTATE_SIZES)}, the 50 pending of "
        "a 1,400-migration history; the sample's show the same targets for reference):",
        "",
        *prestate_ratios_table(rows),
    ]
    return "\n".join(lines) + "\n"


BENCHMARKS_TEMPLATE = f"""# Benchmarks

`nox -s bench` (`python benchmarks/bench.py`) measures sqlreview on synthetic Django projects
written by `benchmarks/synthetic.py` (N migrations over 48 models in 6 apps: foreign keys across
apps, indexes, check constraints, renames, removals, data migrations and a squashed migration),
next to what the same job costs with Django alone. `nox -s bench -- --update` rewrites the
results below; `--sizes 100,500` picks the sizes, `--quick` is a smoke run (N = 100, one run).
Run it after a change and compare: a number that grows by more than noise (about 20 % on a
shared machine) is a regression worth explaining in the commit.

## Results

{START}
{END}

## Where the time goes

(A profile summary of `--all` and of the last 3 migrations: to be filled in.)
"""


def update_document(text: str, start: str = START, end: str = END,
                    heading: str = "Results") -> None:
    """Replace what is between the markers in BENCHMARKS.md; keep everything else."""
    document = (BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists()
                else BENCHMARKS_TEMPLATE)
    if start not in document or end not in document:
        document = document.rstrip("\n") + f"\n\n## {heading}\n\n{start}\n{end}\n"
    before, rest = document.split(start, 1)
    after = rest.split(end, 1)[1]
    BENCHMARKS.write_text(f"{before}{start}\n{text}{end}{after}", encoding="utf-8")


# ---------------------------------------------------------------------------- main


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or min(sizes) <= PENDING + LAST:
        raise argparse.ArgumentTypeError(f"sizes must be above {PENDING + LAST}: {text!r}")
    return sizes


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[ScratchServer]:
    server = ScratchServer.at(url) if url else ScratchServer.embedded()
    try:
        yield server
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
                        help="comma-separated numbers of migrations (default: 100,500,1000,2000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: N = 100 (unless --sizes), one run of each measurement")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--scratch-url", metavar="URL",
                        help="a PostgreSQL server for everything (default: embedded servers)")
    parser.add_argument("--update", action="store_true", help="rewrite BENCHMARKS.md")
    parser.add_argument("--no-analyzer", action="store_true",
                        help="skip the analyzer measurements")
    parser.add_argument("--prestate-sizes", type=parse_sizes, default=list(PRESTATE_SIZES),
                        help="sizes of the real-shaped project for the pre-state sources "
                             "(default: 1400; --quick: 200)")
    parser.add_argument("--no-prestate", action="store_true",
                        help="skip the pre-state sources (real-shaped project and sample)")
    parser.add_argument("--prestate-only", action="store_true",
                        help="only the pre-state sources: no sizes, no analyzer")
    args = parser.parse_args()
    sizes = [100] if args.quick and "--sizes" not in sys.argv else args.sizes
    prestate_sizes = ([QUICK_PRESTATE_SIZE] if args.quick and "--prestate-sizes" not in sys.argv
                      else args.prestate_sizes)
    runs = 1 if args.quick else args.runs
    flags = sqlreview_flags()
    with_prestate = not args.no_prestate and "--pre-state" in flags
    if not args.no_prestate and not with_prestate:
        progress("this sqlreview has no --pre-state: the pre-state part is skipped")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, postgres(args.scratch_url) as pg:
        header = machine(pg, args.scratch_url)
        if not args.prestate_only:
            rows += sizes_part(sizes, runs, Path(tmp), pg, flags, args.scratch_url)
            if not args.no_analyzer:
                rows += bench_analyzer(runs, Path(tmp))
        if with_prestate:
            rows += prestate_part(prestate_sizes, runs, Path(tmp), pg, args.scratch_url)
    texts = []
    if not args.prestate_only:
        texts.append((report(rows, sizes, header, flags, args.quick, args.scratch_url),
                      START, END, "Results"))
    if with_prestate:
        texts.append((prestate_report(rows, prestate_sizes, header, args.quick,
                                      args.scratch_url), PRESTATE_START, PRESTATE_END,
                      "Pre-state sources: results"))
    for text, start, end, heading in texts:
        print(text)
        if args.update:
            update_document(text, start, end, heading)
            print(f"wrote {BENCHMARKS.relative_to(ROOT)} ({start})")
    failed = [row for row in rows if row.failure]
    return 1 if failed else 0


def sizes_part(sizes: list[int], runs: int, tmp: Path, server: ScratchServer, flags: set[str],
               scratch_url: str | None) -> list[Row]:
    rows: list[Row] = []
    for size in sizes:
        project = Project(size, tmp / f"synth{size}", server, flags, scratch_url)
        progress(f"N={size}: writing the project and its database migrated to N - {PENDING}")
        project.prepare()
        rows += bench_size(project, runs)
    return rows


if __name__ == "__main__":
    sys.exit(main())
