"""The review of rendered Django migrations: each fed to the statement analyzer.

One migration at a time, with the schema it meets, inside its transaction;
then the migration-level checks (SR301/SR302, ``run_migration_checks``) and the
deploy verdicts add their findings to its statements (or to the migration).
``sqlreview.review.finish`` runs the steps after this one and grades each
statement's risk last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlreview.deploy import MigrationPhase
from sqlreview.django import drift
from sqlreview.django.compare import TransactionLocks, attach
from sqlreview.django.drift import Drift
from sqlreview.django.select import is_own_app
from sqlreview.django.source import migration_path, read_source
from sqlreview.django.suppressions import apply_ignores
from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions
from sqlreview.pg.parse import iter_statements
from sqlreview.pg.rules import MigrationFacts, PythonRun, rule, run_migration_checks
from sqlreview.results import (
    Cost,
    Measurement,
    Review,
    RunSettings,
    Section,
    StatementResult,
)

if TYPE_CHECKING:
    from sqlreview.django.editor import PythonCode
    from sqlreview.django.render import RenderedMigration, RenderedStatement
    from sqlreview.django.run import DjangoRender


def build_review(rendered: DjangoRender, options: AnalyzerOptions) -> Review:
    review = Review(pg_version=options.pg_version, kind="migrations",
                    warnings=list(rendered.warnings),
                    settings=RunSettings(mode=rendered.mode, database=rendered.database,
                                         scratch_server_version=rendered.server_version,
                                         pre_state=rendered.pre_state))
    if rendered.built_from_production:
        review.settings.drift = [item.to_json() for item in rendered.drifts]
    if rendered.mode == "replay":
        options = dataclasses.replace(options, replayed_schema=True)
    approximate = False
    # Relations an earlier reviewed migration created, and whether still empty.
    created: dict[str, bool] = {}
    for migration in rendered.migrations:
        section = analyze_migration(migration, options, created if rendered.one_deploy else None,
                                    drifts=rendered.drifts)
        if approximate:
            section.warnings.append("an earlier migration failed to apply on the scratch "
                                    "database: this one may be rendered approximately")
        approximate = approximate or bool(migration.apply_error)
        review.sections.append(section)
    return review


def analyze_migration(migration: RenderedMigration, options: AnalyzerOptions,
                      created: dict[str, bool] | None = None,
                      drifts: Sequence[Drift] = ()) -> Section:
    """Feed one migration's statements to the analyzer, inside its transaction.

    ``created``: the relations earlier migrations of the same deploy created, and
    whether they are still empty; the old code never knew them, so they are judged
    as new, holding rows once a statement or code sqlreview cannot see may have
    filled them. What this migration creates is added to it. ``drifts``: how production
    differs from what the files build (SR007, before the file's ignore comments).
    """
    source = read_source(migration_path(migration.app_label, migration.name))
    package = installed_package(migration.app_label)
    if package is not None:
        options = dataclasses.replace(options, own_code=False)
    if migration.deploy is not None:  # its verdicts judge what running code breaks
        options = dataclasses.replace(options, rolling_deploy_judged=True)
    analyzer = Analyzer(options, schema=migration.schema_before,
                        file=_display_path(source.path) or migration.label)
    if created:
        _mark_created(analyzer, created)
    if migration.atomic:
        analyzer.feed("BEGIN")
    held = TransactionLocks(migration.atomic)
    # Which top-level operation emitted each result (by result index).
    operations: dict[int, int | None] = {}
    transactions = _OperationTransactions(analyzer)
    opaque_python: list[PythonRun] = []
    executed_by_python: set[int] = set()
    for statement in migration.statements:
        if not migration.atomic:
            transactions.enter(statement.transaction)
        if statement.kind == "sql":
            results = analyzer.feed(statement.sql, operation=statement.operation,
                                    hand_written=statement.operation == RUN_SQL)
            operations.update((result.index, statement.operation_index) for result in results)
            if statement.observation is not None:
                attach(results, statement.observation, held)
            continue
        if statement.kind == "python":
            result, opaque = _feed_python(analyzer, statement)
            if opaque is not None:
                opaque_python.append(opaque)
        else:
            result = analyzer.feed_opaque("opaque operation", operation=statement.operation,
                                          note="runs Python code sqlreview cannot see into")
        operations[result.index] = statement.operation_index
        if statement.observation is not None:
            result.measured = Measurement(locks=dict(statement.observation.all_locks),
                                          rewrites=sorted(statement.observation.rewritten))
            held.remember(statement.observation)
        if statement.kind == "python":
            for executed in _feed_executed(analyzer, statement):
                operations[executed.index] = statement.operation_index
                executed_by_python.add(executed.index)
    transactions.enter(None)
    if migration.atomic:
        analyzer.feed("COMMIT")
    analysis = analyzer.finish()
    if created is not None:
        created.update((key, relation.empty)
                       for key, relation in analyzer.schema.relations.items() if relation.new)
    _add_migration_findings(MigrationFacts(migration.atomic, analysis.statements,
                                           tuple(opaque_python), frozenset(executed_by_python)))
    error = migration.error
    if migration.apply_error:
        error = error or f"failed on the scratch database: {migration.apply_error}"
    if error:
        analyzer.record_failure(error)
    section = Section(title=migration.label, analysis=analysis, app=migration.app_label,
                      name=migration.name, atomic=migration.atomic, error=error,
                      warnings=list(migration.warnings), sql_text=migration.sql_text,
                      package=package)
    if migration.deploy is not None:
        attach_deploy(section, migration.deploy, operations)
    for result in section.statements:
        result.line = source.line_of(operations.get(result.index))
    drift.attach(section, drifts)
    apply_ignores(section, source, operations)
    if package is not None:
        _advise_whoever_upgrades(section)
    return section


def installed_package(app_label: str) -> str | None:
    """The top-level package of an app installed as a dependency (site-packages, or
    Django's own contrib apps); None for the project's own apps, and for a label
    the app registry does not know (it cannot be told apart: judged as the user's)."""
    from django.apps import apps

    try:
        if is_own_app(app_label):
            return None
        return apps.get_app_config(app_label).name.split(".")[0]
    except LookupError:
        return None


def _advise_whoever_upgrades(section: Section) -> None:
    """The advice for a migration the user cannot edit, where the rule's usual
    advice would have them edit it."""
    for statement in section.statements:
        statement.findings = [
            dataclasses.replace(finding, instead=rule(finding.code).instead_for_package)
            if rule(finding.code).instead_for_package else finding
            for finding in statement.findings]



class _OperationTransactions:
    """In a migration that runs in no transaction, the ones Django opens for single
    atomic operations (RunSQL, RunPython): BEGIN and COMMIT fed around them."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self._open: int | None = None

    def enter(self, transaction: int | None) -> None:
        if transaction == self._open:
            return
        if self._open is not None:
            self._analyzer.feed("COMMIT")
        if transaction is not None:
            self._analyzer.feed("BEGIN")
        self._open = transaction


# RunSQL.describe(): the statements of a RunSQL operation are SQL a person wrote.
RUN_SQL = "Raw SQL operation"
EXECUTED_BY_PYTHON = "executed by RunPython on the scratch database"
_ON_EMPTY_TABLES = ("it ran on the scratch database's empty tables: that says nothing about "
                    "how many rows it reads or writes on production, nor how long it takes")
_DATA_NODES = ("InsertStmt", "UpdateStmt", "DeleteStmt", "SelectStmt", "MergeStmt",
               "CopyStmt")


def _feed_python(analyzer: Analyzer, statement: RenderedStatement
                 ) -> tuple[StatementResult, PythonRun | None]:
    """The row of a RunPython: quiet when it runs nothing or only DDL (analysed in the
    rows after it), opaque when it works on data or ran nowhere to be seen (then also
    the ``PythonRun`` the migration-level checks judge: SR301, SR302)."""
    code = statement.python
    name = code.function if code and code.function else statement.operation or "RunPython"
    reverse = _reverse_text(code)
    if code is not None and code.noop:
        return analyzer.feed_inert("RunPython.noop", operation=statement.operation,
                                   note=f"RunPython.noop runs nothing{reverse}"), None
    if statement.executed and not any(_works_on_data(sql) for sql in statement.executed):
        return analyzer.feed_inert(
            f"RunPython {name}", operation=statement.operation,
            note=f"ran on the scratch database; the {len(statement.executed)} statement(s) "
                 f"it executed follow, each analysed{reverse}"), None
    if statement.executed:
        note = (f"ran on the scratch database; the {len(statement.executed)} statement(s) "
                f"it executed follow, but {_ON_EMPTY_TABLES}")
    else:
        note = "runs Python code sqlreview cannot see into"
    result = analyzer.feed_opaque(f"RunPython {name}", operation=statement.operation,
                                  note=note + reverse)
    return result, PythonRun(result.index, name, reverse)


def _mark_created(analyzer: Analyzer, created: dict[str, bool]) -> None:
    for key, still_empty in created.items():
        relation = analyzer.schema.get(key)
        if relation is not None:
            relation.new = True
            relation.empty = still_empty


def _reverse_text(code: PythonCode | None) -> str:
    if code is None:
        return ""
    if code.reverse is None:
        return " (no reverse: it cannot be unapplied)"
    return f" (reverse: {code.reverse})"


def _works_on_data(sql: str) -> bool:
    return any(parsed.node is None or type(parsed.node).__name__ in _DATA_NODES
               for parsed in iter_statements(sql))


def _feed_executed(analyzer: Analyzer, statement: RenderedStatement
                   ) -> list[StatementResult]:
    """What the RunPython executed on the scratch database, analysed as its SQL."""
    produced: list[StatementResult] = []
    for sql in statement.executed:
        text = sql if sql.rstrip().endswith(";") else sql + ";"
        on_data = _works_on_data(sql)
        for result in analyzer.feed(text, operation=statement.operation, run_by_code=True):
            result.notes.append(EXECUTED_BY_PYTHON)
            if on_data:
                result.notes.append(_ON_EMPTY_TABLES)
            produced.append(result)
    return produced


def attach_deploy(section: Section, phase: MigrationPhase,
                   operations: Mapping[int, int | None]) -> None:
    """The phase on the section; each verdict's findings on the first statement of its
    operation that does work (found by operation index: two operations may describe
    themselves alike), else on the migration, as are the migration's own findings."""
    section.phase = phase.phase.value
    section.deploy = phase.to_json()
    for verdict in phase.operations:
        target = first_working_statement(
            s for s in section.statements if operations.get(s.index) == verdict.operation_index)
        (target.findings if target is not None else section.findings).extend(verdict.findings)
    section.findings.extend(phase.findings)


def first_working_statement(statements: Iterable[StatementResult]) -> StatementResult | None:
    """The first that stands for its operation (a RunPython's row) or does work: a
    deploy finding explains its risk, not that of a ``SET CONSTRAINTS``."""
    return next((statement for statement in statements
                 if statement.kind == "PYTHON" or does_work(statement)), None)


def does_work(statement: StatementResult) -> bool:
    """Takes a lock on a relation that existed before it, or costs something."""
    return statement.cost is not Cost.NONE or any(
        lock.relation not in statement.new_relations for lock in statement.locks)


def _add_migration_findings(facts: MigrationFacts) -> None:
    """The findings of the migration-level checks, each on its statement."""
    by_index = {statement.index: statement for statement in facts.statements}
    for index, finding in run_migration_checks(facts):
        by_index[index].findings.append(finding)


def _display_path(path: Path | None) -> str | None:
    """The migration's file relative to the current directory (annotations, SARIF)."""
    if path is None:
        return None
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
