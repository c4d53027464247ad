"""The deploy plan and the verdict rules on hand-made values (no Django)."""

from __future__ import annotations

import json

import pytest

from sqlreview.deploy import DeployModel, MigrationPhase, OperationVerdict, Phase, deploy_plan
from sqlreview.deploy.checks import type_change
from sqlreview.deploy.facts import Column
from sqlreview.deploy.verdict import Concern, migration_phase
from sqlreview.pg.rules import rule


def migration(name: str, phase: Phase, *dependencies: str) -> MigrationPhase:
    return MigrationPhase("app", name, phase, dependencies=tuple(dependencies))


def test_a_migration_waits_for_a_split_dependency() -> None:
    plan = deploy_plan([
        migration("0001_a", Phase.BEFORE),
        migration("0002_b", Phase.SPLIT, "app.0001_a"),
        migration("0003_c", Phase.BEFORE, "app.0002_b"),
        migration("0004_d", Phase.AFTER, "app.0001_a"),
    ])
    assert plan.before_deploy == ("app.0001_a",)
    assert plan.split == ("app.0002_b", "app.0003_c")
    assert plan.after_deploy == ("app.0004_d",)
    assert plan.before_commands == ("python manage.py migrate app 0001_a",)
    assert any("0003_c" in note and "split" in note for note in plan.notes)
    assert json.loads(json.dumps(plan.to_json()))["split"] == ["app.0002_b", "app.0003_c"]


def test_a_needed_migration_behind_an_after_deploy_one_is_a_conflict() -> None:
    needed = OperationVerdict(0, "Add field x", Phase.BEFORE, needed_by_new=True)
    plan = deploy_plan([
        migration("0001_a", Phase.AFTER),
        MigrationPhase("app", "0002_b", Phase.BEFORE, (needed,), dependencies=("app.0001_a",)),
    ])
    assert plan.after_deploy == ("app.0001_a", "app.0002_b")
    assert "next release" in plan.notes[0]


def test_strictest_operation_wins_and_opposite_needs_split_the_migration() -> None:
    after = OperationVerdict(0, "Remove field y", Phase.AFTER, breaks_old=True)
    before = OperationVerdict(1, "Add field x", Phase.BEFORE, needed_by_new=True)
    free = OperationVerdict(2, "Add index", Phase.BEFORE)
    assert migration_phase([free, after]).phase is Phase.AFTER
    assert migration_phase([free]).phase is Phase.BEFORE
    assert migration_phase([], model=DeployModel.ROLLOUT_THEN_MIGRATE).phase is Phase.AFTER
    mixed = migration_phase([after, before, free], app_label="app", name="0001")
    assert mixed.phase is Phase.SPLIT
    assert [f.code for f in mixed.findings] == ["SR415"]
    assert mixed.to_json()["phase"] == "split"


def test_a_concern_is_reported_where_the_deploy_model_runs_into_it() -> None:
    finding = rule("SR403").finding("x")
    breaks_old = Concern(finding, breaks_old=True)
    needed = Concern(finding, needed_by_new=True)
    assert breaks_old.bites(DeployModel.MIGRATE_THEN_ROLLOUT)
    assert not breaks_old.bites(DeployModel.ROLLOUT_THEN_MIGRATE)
    assert needed.bites(DeployModel.ROLLOUT_THEN_MIGRATE)
    assert not needed.bites(DeployModel.MIGRATE_THEN_ROLLOUT)
    assert Concern(finding).bites(DeployModel.MIGRATE_THEN_ROLLOUT)


def test_unknown_deploy_model_says_what_to_choose() -> None:
    assert DeployModel.parse(" Rollout-Then-Migrate") is DeployModel.ROLLOUT_THEN_MIGRATE
    with pytest.raises(ValueError, match="choose one of migrate-then-rollout"):
        DeployModel.parse("yolo")


def column(kind: str, **facts: int | None) -> Column:
    return Column("c", "c", type=kind, **facts)  # type: ignore[arg-type]


@pytest.mark.parametrize(("before", "after", "expected"), [
    (column("CharField", max_length=100), column("CharField", max_length=200), "widen"),
    (column("CharField", max_length=100), column("TextField"), "widen"),
    (column("TextField"), column("CharField", max_length=100), "narrow"),
    (column("IntegerField"), column("BigIntegerField"), "widen"),
    (column("BigIntegerField"), column("SmallIntegerField"), "narrow"),
    (column("IntegerField"), column("PositiveIntegerField"), "narrow"),
    (column("DecimalField", max_digits=10, decimal_places=2),
     column("DecimalField", max_digits=12, decimal_places=2), "widen"),
    (column("DecimalField", max_digits=10, decimal_places=2),
     column("DecimalField", max_digits=10, decimal_places=4), "narrow"),
    (column("CharField", max_length=10), column("IntegerField"), "change"),
    (column("CharField", max_length=10), column("CharField", max_length=10), None),
    (column("ForeignKey"), column("ForeignKey"), None),
])
def test_type_changes(before: Column, after: Column, expected: str | None) -> None:
    assert type_change(before, after) == expected
