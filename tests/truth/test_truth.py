"""The analyzer's predictions, checked statement by statement against PostgreSQL.

Every catalog case runs on a real server (see ``runner.py``); the analyzer
predicts the same statement from the SQL text and the schema of
``SETUP_SQL``.  A case passes when the predicted table locks, rewrites and
full scans are exactly what the server did.  Index locks are not compared:
the analyzer may or may not list them.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from sqlreview.locking import LockMode
from sqlreview.pg.observe import Observation
from tests.truth.catalog import CASES, SETUP_SQL, Case
from tests.truth.runner import TruthDatabase

ANALYZER_MODULE = "sqlreview.pg.analyzer"


@pytest.fixture(scope="session")
def setup_schema() -> Any:
    """The analyzer's Schema of SETUP_SQL; skips while the analyzer does not exist."""
    if importlib.util.find_spec(ANALYZER_MODULE) is None:
        pytest.skip(f"{ANALYZER_MODULE} does not exist yet: only the observation was checked")
    learn_module = importlib.import_module("sqlreview.pg.learn")
    return learn_module.schema_from_sql(SETUP_SQL)


def test_catalog_is_large_and_well_formed() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 150
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in CASES:
        assert (case.method == "outside") == (case.blocker is not None), case.id
        assert case.setup is None or case.method == "transaction", case.id
        assert not case.later_blockers or case.method == "outside", case.id


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_prediction_matches_postgres(
    case: Case,
    truth: TruthDatabase,
    setup_schema: Any,
) -> None:
    if case.requires_extension and case.requires_extension not in truth.available_extensions():
        pytest.skip(f"the server has no {case.requires_extension} extension")
    run = truth.run(case)
    observed = run.observation
    if observed.error is not None:
        pytest.fail(f"broken case: PostgreSQL rejected it: {observed.error}\n  {case.sql}")
    if observed.notes:
        pytest.fail(f"broken case: incomplete observation: {'; '.join(observed.notes)}")
    analysis = predict(case, truth.server_version, setup_schema)
    predicted = analysis.statements[-1]
    if predicted.error:
        pytest.fail(f"the analyzer failed: {predicted.error}\n  {case.sql}")

    # PostgreSQL reports only locks stronger than the transaction already held,
    # so a lock the analyzer predicts for the setup is not expected again.
    held_before = strongest_locks(
        (entry.relation, entry.mode)
        for statement in analysis.statements[:-1]
        for entry in statement.locks
    )
    predicted_locks = strongest_locks(
        (entry.relation, entry.mode)
        for entry in predicted.locks
        if entry.relation not in run.index_names
        and not (entry.relation in held_before and entry.mode <= held_before[entry.relation])
    )
    compared = _compared(case, setup_schema)
    actual = {
        "locks": format_locks({k: v for k, v in observed.all_locks.items() if compared(k)}),
        # A new relfilenode is a rewrite when rows were copied into it; an empty
        # one (TRUNCATE) is new empty storage, which costs no time.
        "rewrites": sorted(filter(compared, observed.rewritten - observed.emptied)),
        "emptied": sorted(filter(compared, observed.emptied)),
        "scans": sorted(filter(compared, observed.scanned)),
    }
    expected = {
        "locks": format_locks({k: v for k, v in predicted_locks.items() if compared(k)}),
        "rewrites": sorted(filter(compared, set(predicted.rewrites))),
        "emptied": sorted(filter(compared, set(predicted.emptied))),
        "scans": sorted(filter(compared, set(predicted.scans))),
    }
    if actual != expected:
        pytest.fail(side_by_side(case, expected, actual, observed), pytrace=False)


def _compared(case: Case, setup_schema: Any) -> Callable[[str], bool]:
    """Which relations the comparison covers: those of SETUP_SQL (a table a case's
    setup creates is already held ACCESS EXCLUSIVE by its creator, and its scans
    read no rows: PostgreSQL shows nothing to compare), except partitions when
    the statement's values decide which partitions it touches."""
    existing = set(setup_schema.relations)
    if not case.values_pick_partitions:
        return lambda name: not case.setup or name in existing
    partitions = {key for key, rel in setup_schema.relations.items() if rel.parent}
    return lambda name: name not in partitions and name in existing


def predict(case: Case, pg_version: int, setup_schema: Any) -> Any:
    """The analyzer's SqlAnalysis of the case: its statement comes last."""
    analyzer = importlib.import_module(ANALYZER_MODULE)
    # Transaction cases run inside BEGIN (so SET LOCAL in a setup takes effect).
    text = f"BEGIN;\n{case.setup};\n{case.sql};" if case.setup else f"{case.sql};"
    analysis = analyzer.analyze_sql(
        text,
        options=analyzer.AnalyzerOptions(pg_version=pg_version),
        # The analyzer may learn from the statements: give it its own copy.
        schema=copy.deepcopy(setup_schema),
    )
    return analysis


def strongest_locks(entries: Iterable[tuple[str, LockMode]]) -> dict[str, LockMode]:
    locks: dict[str, LockMode] = {}
    for relation, mode in entries:
        locks[relation] = max(mode, locks.get(relation, mode))
    return locks


def format_locks(locks: Mapping[str, LockMode]) -> list[str]:
    return [f"{name}={mode.sql_name}" for name, mode in sorted(locks.items())]


def side_by_side(
    case: Case,
    predicted: Mapping[str, list[str]],
    observed: Mapping[str, list[str]],
    observation: Observation,
) -> str:
    lines = [f"{case.id}: the analyzer disagrees with PostgreSQL", f"  sql:   {case.sql}"]
    if case.setup:
        lines.append(f"  setup: {case.setup}")
    if case.blocker:
        lines.append(f"  run outside a transaction, blocker: {case.blocker}")
    width = max(len(", ".join(values)) for values in predicted.values()) + 2
    width = max(width, len("predicted") + 2)
    lines.append(f"  {'':10}{'predicted':<{width}}observed")
    for key in ("locks", "rewrites", "emptied", "scans"):
        mark = "  " if predicted[key] == observed[key] else "! "
        shown_predicted = ", ".join(predicted[key]) or "-"
        shown_observed = ", ".join(observed[key]) or "-"
        lines.append(f"{mark}{key:<10}{shown_predicted:<{width}}{shown_observed}")
    if observation.waited_for:
        waiting = ", ".join(format_locks(observation.waited_for))
        lines.append(f"  (observed locks include requests seen waiting: {waiting})")
    if observation.index_locks:
        index_locks = ", ".join(format_locks(observation.index_locks))
        lines.append(f"  (index locks observed, not compared: {index_locks})")
    if case.note:
        lines.append(f"  note: {case.note}")
    return "\n".join(lines)
