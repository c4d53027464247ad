"""Every finding code, with a bad example that raises it and a good one that does not.

Like ruff's and squawk's rule tests: the *bad* SQL is the risky pattern the
rule describes; the *good* SQL is what the rule's ``instead`` text recommends.
The examples are defined with each rule (``Rule.examples`` in
``sqlreview/pg/rules/``); this module runs all of them through the real
analyzer against the small shop schema of ``rules.EXAMPLE_SCHEMA``. A rule
added without examples fails ``test_every_rule_has_examples``.

SR002, SR301 and SR302 are raised by the Django pipeline
(``sqlreview.review.migrations.analyze_migration``), so their examples are
migrations as Django renders them (``Rule.django_examples``), analysed in a
subprocess with minimal Django settings (configuring Django in the test process
would leak into other tests).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions
from sqlreview.pg.learn import schema_from_sql
from sqlreview.pg.rules import (
    RULES,
    RULES_BY_CODE,
    DjangoExample,
    Example,
    MigrationExample,
    MigrationStatement,
    Rule,
)
from sqlreview.results import Level, SqlAnalysis
from tests.analyzer.helpers import SCHEMA, analyze, codes
from tests.support.deploy import DEPLOY_EXAMPLES

# The directory holding the sqlreview package, where raised_by's modules are.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]

# The good example of these is right, but sqlreview still flags it: a bug.
KNOWN_FALSE_POSITIVES: dict[str, str] = {}


@dataclass(frozen=True)
class RuleDjangoExample:
    code: str
    number: int  # of the rule's Django examples
    example: DjangoExample

    def key(self, which: str) -> str:
        return f"{self.code}-{self.number}-{which}"


DJANGO_EXAMPLES: tuple[RuleDjangoExample, ...] = tuple(
    RuleDjangoExample(rule.code, number, example)
    for rule in RULES for number, example in enumerate(rule.django_examples)
)


@dataclass(frozen=True)
class RuleExample:
    code: str
    example: Example


EXAMPLES: tuple[RuleExample, ...] = tuple(
    RuleExample(rule.code, example) for rule in RULES for example in rule.examples
)


def _example_id(example: RuleExample) -> str:
    return example.code


def _analyze(sql: str, example: Example) -> SqlAnalysis:
    if not example.hand_written:
        return analyze(textwrap.dedent(sql), example.pg_version,
                       assume_lock_timeout=example.assume_lock_timeout)
    # The SQL of a RunSQL operation, as the Django pipeline feeds it.
    options = AnalyzerOptions(pg_version=example.pg_version,
                              assume_lock_timeout=example.assume_lock_timeout)
    analyzer = Analyzer(options, schema_from_sql(SCHEMA))
    analyzer.feed(textwrap.dedent(sql), operation="Raw SQL operation", hand_written=True)
    return analyzer.finish()


def _codes_of(sql: str, example: Example) -> list[set[str]]:
    return [codes(statement) for statement in _analyze(sql, example).statements]


# Rules whose bad/good examples live in their own test module, because their
# input is not SQL text: a measurement (--trace) beside an estimate.
_TESTED_ELSEWHERE = {
    "tests/analyzer/test_trace_compare.py": {"SR004"},
    # Suppression comments in a migration file, reviewed through the real CLI.
    "tests/cli/test_suppress.py": {"SR005", "SR006"},
    # Rolling deploys: a bad and a good migration each, in tests/deploy/project.
    "tests/deploy/test_phases.py (DEPLOY_EXAMPLES)": set(DEPLOY_EXAMPLES),
    # Production's schema against the migration files: a drifted database and a clean one.
    "tests/prestate/test_production.py": {"SR007"},
}


def test_every_rule_has_examples() -> None:
    for rule in RULES:
        if rule.examples or rule.django_examples:
            continue
        assert rule.examples_elsewhere, f"{rule.code} has no bad/good example"
        tested = _TESTED_ELSEWHERE.get(rule.examples_elsewhere, set())
        assert rule.code in tested, (f"{rule.code} says its examples are in "
                                     f"{rule.examples_elsewhere}, which has none for it")
    unknown = set().union(*_TESTED_ELSEWHERE.values()) - set(RULES_BY_CODE)
    assert not unknown, f"examples for codes that are not rules: {sorted(unknown)}"


def test_every_rule_is_raised_by_something() -> None:
    for rule in RULES:
        raised = rule.check is not None or rule.migration_check is not None or rule.raised_by
        assert raised, rule.code


def _function_source(dotted: str) -> str | None:
    """The source of ``sqlreview.module.function`` (or ``.Class.method``), read, not imported."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        path = PACKAGE_ROOT.joinpath(*parts[:split]).with_suffix(".py")
        if path.is_file():
            break
    else:
        return None
    source = path.read_text(encoding="utf-8")
    body: list[ast.stmt] = ast.parse(source).body
    node: ast.stmt | None = None
    for name in parts[split:]:
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                     and n.name == name), None)
        if node is None:
            return None
        body = node.body
    return ast.get_source_segment(source, node) if node is not None else None


@pytest.mark.parametrize("rule", [r for r in RULES if r.raised_by], ids=lambda r: r.code)
def test_raised_by_names_functions_that_raise_the_rule(rule: Rule) -> None:
    for dotted in rule.raised_by:
        source = _function_source(dotted)
        assert source is not None, f"{rule.code}: raised_by names {dotted}, which does not exist"
        assert rule.code in source, f"{rule.code}: {dotted} does not raise it"


def test_rule_codes_are_unique_and_well_formed() -> None:
    all_codes = [rule.code for rule in RULES]
    assert len(all_codes) == len(set(all_codes))
    for rule in RULES:
        assert len(rule.code) == 5 and rule.code.startswith("SR") and rule.code[2:].isdigit()
        assert rule.summary and rule.why and rule.instead, rule.code
        assert rule.name == rule.name.lower() and " " not in rule.name, rule.code


@pytest.mark.parametrize("example", EXAMPLES, ids=_example_id)
def test_bad_example_raises_exactly_its_code(example: RuleExample) -> None:
    raised = _codes_of(example.example.bad, example.example)
    flagged = set().union(*raised)
    assert example.code in flagged
    allowed = {example.code} | example.example.also
    assert flagged <= allowed, f"{example.code}'s bad example also raised {flagged - allowed}"


@pytest.mark.parametrize(
    "example",
    [
        pytest.param(e, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FALSE_POSITIVES[e.code]))
        if e.code in KNOWN_FALSE_POSITIVES
        else e
        for e in EXAMPLES
    ],
    ids=_example_id,
)
def test_good_example_does_not_raise_the_code(example: RuleExample) -> None:
    raised = set().union(*_codes_of(example.example.good, example.example))
    assert example.code not in raised
    assert "SR001" not in raised, "the good example must be valid SQL"


@pytest.mark.parametrize("example", EXAMPLES, ids=_example_id)
def test_finding_carries_the_rule_severity(example: RuleExample) -> None:
    analysis = _analyze(example.example.bad, example.example)
    findings = [f for s in analysis.statements for f in s.findings if f.code == example.code]
    assert findings
    for finding in findings:
        assert finding.severity is RULES_BY_CODE[example.code].severity
        assert finding.message.strip()
    # A statement's risk is at least the severity of its findings.
    for statement in analysis.statements:
        for finding in statement.findings:
            if statement.risk is not None:
                assert statement.risk >= finding.severity


# --- the Django side: SR002, SR301, SR302, SR303 -----------------------------------

_DJANGO_SCRIPT = r"""
import json, sys
from django.conf import settings
settings.configure(MIGRATION_MODULES={"shop": None})
import django
django.setup()
from sqlreview.review.migrations import analyze_migration
from sqlreview.django.render import RenderedMigration, RenderedStatement
from sqlreview.pg.analyzer import AnalyzerOptions
from sqlreview.pg.learn import schema_from_sql

cases = json.load(sys.stdin)
schema = schema_from_sql(cases["schema"])
out = {}
for key, spec in cases["migrations"].items():
    migration = RenderedMigration(
        "shop", "0002_" + key.replace("-", "_"), spec["atomic"],
        [RenderedStatement(sql=sql or "-- RunPython", operation_index=i, operation=op,
                           kind=kind)
         for i, (kind, sql, op) in enumerate(spec["statements"])],
        error=spec["error"], schema_before=schema)
    section = analyze_migration(migration, AnalyzerOptions(pg_version=14))
    out[key] = {"error": section.error,
                "statements": [s.to_json() for s in section.statements]}
json.dump(out, sys.stdout)
"""


_INDEX_SQL = 'CREATE INDEX CONCURRENTLY "shop_order_placed_idx" ON "shop_order" ("placed_at");'

# More migrations for the same subprocess: what must not raise a code.
MORE_MIGRATIONS: dict[str, MigrationExample] = {
    # The same SQL emitted by Django's AddIndexConcurrently: not the user's to spell.
    "SR303-generated": MigrationExample(atomic=False, statements=(MigrationStatement(
        "Concurrently create index shop_order_placed_idx on field(s) placed_at of model order",
        _INDEX_SQL),)),
    # In an atomic migration a failure rolls everything back: a retry starts clean.
    "SR303-atomic": MigrationExample(atomic=True, statements=(MigrationStatement(
        "Raw SQL operation", 'ALTER TABLE "shop_order" ADD COLUMN "coupon" text NULL;'),)),
}


def _migration_spec(migration: MigrationExample) -> dict[str, Any]:
    return {"atomic": migration.atomic, "error": migration.error,
            "statements": [[s.kind, s.sql, s.operation] for s in migration.statements]}


@pytest.fixture(scope="module")
def django_results() -> dict[str, Any]:
    """Every rule's Django examples through ``analyze_migration``, in one subprocess."""
    migrations = {key: _migration_spec(m) for key, m in MORE_MIGRATIONS.items()}
    for example in DJANGO_EXAMPLES:
        migrations[example.key("bad")] = _migration_spec(example.example.bad)
        migrations[example.key("good")] = _migration_spec(example.example.good)
    completed = subprocess.run(
        [sys.executable, "-c", _DJANGO_SCRIPT],
        input=json.dumps({"schema": SCHEMA, "migrations": migrations}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _migration_codes(result: dict[str, Any]) -> list[str]:
    return [f["code"] for s in result["statements"] for f in s["findings"]]


def test_the_rules_raised_from_migrations_have_migration_examples() -> None:
    assert {"SR002", "SR301", "SR302", "SR303"} <= {e.code for e in DJANGO_EXAMPLES}


@pytest.mark.parametrize("example", DJANGO_EXAMPLES, ids=lambda e: e.key("bad"))
def test_django_bad_example_raises_its_code(
    example: RuleDjangoExample, django_results: dict[str, Any]
) -> None:
    assert example.code in _migration_codes(django_results[example.key("bad")])


@pytest.mark.parametrize("example", DJANGO_EXAMPLES, ids=lambda e: e.key("good"))
def test_django_good_example_does_not_raise_its_code(
    example: RuleDjangoExample, django_results: dict[str, Any]
) -> None:
    assert example.code not in _migration_codes(django_results[example.key("good")])


@pytest.mark.parametrize("key", sorted(MORE_MIGRATIONS))
def test_run_sql_guard_advice_only_for_hand_written_sql_outside_a_transaction(
    key: str, django_results: dict[str, Any]
) -> None:
    code = key.split("-")[0]
    assert code not in _migration_codes(django_results[key])


def test_failed_migration_has_one_failure_row(django_results: dict[str, Any]) -> None:
    result = django_results["SR002-0-bad"]
    failures = [s for s in result["statements"] if s["kind"] == "ERROR"]
    assert len(failures) == 1
    indexes = [s["index"] for s in result["statements"]]
    assert indexes == list(range(len(indexes)))


def test_failed_migration_row_says_what_failed(django_results: dict[str, Any]) -> None:
    result = django_results["SR002-0-bad"]
    assert result["error"] == 'ProgrammingError: extension "postgis" is not available'
    failure = next(s for s in result["statements"] if s["kind"] == "ERROR")
    assert failure["risk"] == "unknown"
    assert "postgis" in failure["error"]
    # What was rendered before the failure is still analysed.
    assert any(s["kind"] == "ALTER TABLE" for s in result["statements"])


def test_run_python_beside_ddl_is_high_and_names_the_operation(
    django_results: dict[str, Any],
) -> None:
    python = next(s for s in django_results["SR302-0-bad"]["statements"] if s["kind"] == "PYTHON")
    assert python["risk"] == "high"
    assert python["operation"] == "Raw Python operation"
    by_code = {f["code"]: f for f in python["findings"]}
    assert {"SR301", "SR302"} <= set(by_code)
    assert "Raw Python operation" in by_code["SR302"]["message"]
    # The ACCESS EXCLUSIVE lock of the ADD COLUMN is held while the Python runs, and the
    # finding says what is unknown about it.
    assert "SR202" in by_code
    assert by_code["SR202"]["message"].startswith("shop_order (ACCESS EXCLUSIVE at #1) stays "
                                                  "locked while Python code of unknown cost")


def test_feed_opaque_is_unknown_cost_and_medium_risk() -> None:
    """``Analyzer.feed_opaque`` (what the pipeline does for RunPython), in-process."""
    analyzer = Analyzer(AnalyzerOptions(pg_version=14))
    result = analyzer.feed_opaque(
        "RunPython",
        operation="Raw Python operation",
        note="runs Python code sqlreview cannot see into",
    )
    assert result.kind == "PYTHON"
    assert result.cost.value == "unknown"
    assert result.risk is Level.MEDIUM
    assert result.notes == ["runs Python code sqlreview cannot see into"]
    assert analyzer.finish().statements == [result]


def test_record_failure_is_sr002_with_unknown_risk() -> None:
    analyzer = Analyzer(AnalyzerOptions(pg_version=14))
    analyzer.feed("ALTER TABLE shop_order ADD COLUMN coupon text;")
    failure = analyzer.record_failure("FieldError: boom")
    analysis = analyzer.finish()
    assert [s.index for s in analysis.statements] == [0, 1]
    assert failure.risk is None and failure.error == "FieldError: boom"
    assert codes(failure) == {"SR002"}


# --- no finding where Postgres does nothing risky ------------------------------------------

_SR110_NO_CHANGE = (
    "bug: checks.check_table_rewrites raises SR110 (critical, 'rewrites ...') for every SET "
    "TABLESPACE / SET ACCESS METHOD, even the 'no change' variant the knowledge table rates "
    "metadata only (the table already is in pg_default / uses heap: nothing is copied)"
)


@pytest.mark.parametrize("sql", [
    "ALTER TABLE shop_order SET TABLESPACE pg_default;",
    "ALTER TABLE shop_order SET ACCESS METHOD heap;",
])
def test_moving_a_table_where_it_already_is_is_not_a_rewrite(sql: str) -> None:
    """Manual, ALTER TABLE SET TABLESPACE / SET ACCESS METHOD: the data is copied
    to the new tablespace or access method; pg_default and heap are where a
    table is unless told otherwise, so there is nothing to copy."""
    analysis = analyze(sql, assume_lock_timeout=True)
    statement = analysis.statements[0]
    assert statement.cost.value == "metadata only"
    assert "SR110" not in codes(statement)
    assert statement.risk is not Level.CRITICAL


def test_weak_storage_parameters_raise_nothing() -> None:
    """Manual, ALTER TABLE SET ( storage_parameter ): fillfactor and autovacuum
    parameters take only SHARE UPDATE EXCLUSIVE, which blocks no reads or writes."""
    analysis = analyze("ALTER TABLE shop_order SET (fillfactor = 70, "
                       "autovacuum_vacuum_scale_factor = 0.01);")
    assert codes(analysis.statements[0]) == set()
    assert analysis.statements[0].risk is Level.LOW


def test_statement_timeout_advice_waits_until_a_lock_timeout_is_set() -> None:
    """SR205 does not pile onto SR201: without a lock_timeout, SR201 names both timeouts."""
    sql = "ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;"
    without = codes(analyze(sql).statements[0])
    assert "SR201" in without and "SR205" not in without
    with_lock_timeout = analyze(f"SET lock_timeout = '5s';\n{sql}").statements[1]
    assert "SR205" in codes(with_lock_timeout)
