"""Deploy phases: per operation, per migration, and the plan for a set of migrations.

Plain frozen dataclasses (no Django objects), each with ``to_json()``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlreview.pg.rules.deploy import SR415
from sqlreview.results import Finding


class Phase(enum.Enum):
    """When a migration may run, relative to rolling the new code out."""

    BEFORE = "before-deploy"  # the old code keeps working against the new schema
    AFTER = "after-deploy"  # only once no server runs the old code
    SPLIT = "split"  # no single moment is safe: it needs several releases


class DeployModel(enum.Enum):
    """The order a team's deploys run in."""

    MIGRATE_THEN_ROLLOUT = "migrate-then-rollout"
    ROLLOUT_THEN_MIGRATE = "rollout-then-migrate"

    @property
    def usual_phase(self) -> Phase:
        """Where a migration that is safe either way runs."""
        if self is DeployModel.MIGRATE_THEN_ROLLOUT:
            return Phase.BEFORE
        return Phase.AFTER

    @classmethod
    def parse(cls, text: str) -> DeployModel:
        for model in cls:
            if model.value == text.strip().lower():
                return model
        choices = ", ".join(model.value for model in cls)
        raise ValueError(f"unknown deploy model {text!r}: choose one of {choices}")


@dataclass(frozen=True)
class Concern:
    """One reason an operation cannot run at any time, found by a check.

    ``breaks_old``: the previous release fails against the schema after it;
    ``needed_by_new``: the new release fails against the schema before it;
    ``breaks_new``: the new release fails against the schema after it too, until
    a further step (nothing but splitting helps). A concern with no flag set
    does not constrain the phase (an irreversible data migration).
    """

    finding: Finding
    recipe: tuple[str, ...] = ()
    breaks_old: bool = False
    needed_by_new: bool = False
    breaks_new: bool = False

    def bites(self, model: DeployModel) -> bool:
        """Whether the team's deploy order runs into it (so it is reported)."""
        if self.breaks_new or not (self.breaks_old or self.needed_by_new):
            return True
        if model is DeployModel.MIGRATE_THEN_ROLLOUT:
            return self.breaks_old
        return self.needed_by_new


def phase_of(breaks_old: bool, needed_by_new: bool, breaks_new: bool, model: DeployModel) -> Phase:
    if breaks_new or (breaks_old and needed_by_new):
        return Phase.SPLIT
    if breaks_old:
        return Phase.AFTER
    if needed_by_new:
        return Phase.BEFORE
    return model.usual_phase


@dataclass(frozen=True)
class OperationVerdict:
    """When one top-level operation of a migration may run, and why."""

    operation_index: int
    operation: str  # describe()
    phase: Phase
    findings: tuple[Finding, ...] = ()
    recipe: tuple[str, ...] = ()  # the safe sequence, in Django terms, when it is not free
    breaks_old: bool = False
    needed_by_new: bool = False
    breaks_new: bool = False
    notes: tuple[str, ...] = ()  # e.g. why it could not be judged

    @classmethod
    def from_concerns(
        cls, index: int, operation: str, concerns: Sequence[Concern], model: DeployModel
    ) -> OperationVerdict:
        breaks_old = any(concern.breaks_old for concern in concerns)
        needed = any(concern.needed_by_new for concern in concerns)
        breaks_new = any(concern.breaks_new for concern in concerns)
        phase = phase_of(breaks_old, needed, breaks_new, model)
        reported = [
            concern for concern in concerns
            if concern.bites(model) or (phase is Phase.SPLIT and concern.breaks_old)
        ]
        return cls(
            operation_index=index,
            operation=operation,
            phase=phase,
            findings=tuple(concern.finding for concern in reported),
            recipe=_unique(step for concern in reported for step in concern.recipe),
            breaks_old=breaks_old,
            needed_by_new=needed,
            breaks_new=breaks_new,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "operation_index": self.operation_index,
            "operation": self.operation,
            "phase": self.phase.value,
            "findings": [finding.to_json() for finding in self.findings],
            "recipe": list(self.recipe),
            "breaks_old_code": self.breaks_old,
            "needed_by_new_code": self.needed_by_new,
            "breaks_new_code": self.breaks_new,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class MigrationPhase:
    """A migration's phase: the strictest of its operations'."""

    app_label: str
    name: str
    phase: Phase
    operations: tuple[OperationVerdict, ...] = ()
    findings: tuple[Finding, ...] = ()  # about the migration as a whole (SR415)
    recipe: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()  # "app_label.name" of the migrations it depends on

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.name}"

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        return self.findings + tuple(f for verdict in self.operations for f in verdict.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app_label,
            "name": self.name,
            "phase": self.phase.value,
            "findings": [finding.to_json() for finding in self.findings],
            "recipe": list(self.recipe),
            "operations": [verdict.to_json() for verdict in self.operations],
        }


def migration_phase(
    verdicts: Sequence[OperationVerdict],
    *,
    app_label: str = "",
    name: str = "",
    dependencies: Iterable[str] = (),
    model: DeployModel = DeployModel.MIGRATE_THEN_ROLLOUT,
) -> MigrationPhase:
    """Combine the operations' verdicts: a split operation splits the migration, and so
    does one operation that must run before the rollout beside one that must run after."""
    breaks_old = [v for v in verdicts if v.breaks_old]
    needed = [v for v in verdicts if v.needed_by_new]
    phase = phase_of(
        bool(breaks_old), bool(needed), any(v.breaks_new for v in verdicts), model
    )
    findings: tuple[Finding, ...] = ()
    recipe: tuple[str, ...] = ()
    mixed = [v for v in breaks_old if v.phase is not Phase.SPLIT]
    if phase is Phase.SPLIT and mixed and any(v.phase is Phase.BEFORE for v in needed):
        before = ", ".join(f"#{v.operation_index} {v.operation}"
                           for v in needed if v.phase is Phase.BEFORE)
        after = ", ".join(f"#{v.operation_index} {v.operation}" for v in mixed)
        findings = (SR415.finding(
            f"{before} must run before the rollout, {after} after it"),)
        recipe = (
            f"Move {after} into a new migration that depends on this one, and run it after "
            "the rollout (or in the next release).",
        )
    return MigrationPhase(
        app_label=app_label,
        name=name,
        phase=phase,
        operations=tuple(verdicts),
        findings=findings,
        recipe=recipe,
        dependencies=tuple(dependencies),
    )


@dataclass(frozen=True)
class DeployPlan:
    """For a set of migrations: what runs before the rollout, what after, what must be split."""

    model: DeployModel
    before_deploy: tuple[str, ...]
    after_deploy: tuple[str, ...]
    split: tuple[str, ...]
    # `manage.py migrate` commands, per step, that run exactly that step.
    before_commands: tuple[str, ...] = ()
    after_commands: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # Migrations the order moved out of their own phase: label -> why (also in notes).
    moved: tuple[tuple[str, str], ...] = ()

    def step_of(self, label: str) -> Phase | None:
        """The step the plan runs ``label`` in (None: not in the plan)."""
        for phase, labels in ((Phase.BEFORE, self.before_deploy),
                              (Phase.AFTER, self.after_deploy), (Phase.SPLIT, self.split)):
            if label in labels:
                return phase
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "deploy_model": self.model.value,
            "before_deploy": list(self.before_deploy),
            "after_deploy": list(self.after_deploy),
            "split": list(self.split),
            "commands": {"before_deploy": list(self.before_commands),
                         "after_deploy": list(self.after_commands)},
            "notes": list(self.notes),
            "moved": dict(self.moved),
        }

    def to_text(self) -> str:
        """The plan as ``--deploy-order`` prints it."""
        lines = [f"Deploy order ({self.model.value}):"]
        steps = (
            ("1. Before the rollout", self.before_deploy, self.before_commands),
            ("2. Roll out the new code", (), ()),
            ("3. After the rollout", self.after_deploy, self.after_commands),
        )
        for title, labels, commands in steps:
            lines.append(title + (":" if labels else ""))
            lines.extend(f"   {label}" for label in labels)
            lines.extend(f"   $ {command}" for command in commands)
        if self.split:
            lines.append("Must be split into several releases first (see their findings):")
            lines.extend(f"   {label}" for label in self.split)
        lines.extend(f"Note: {note}" for note in self.notes)
        return "\n".join(lines)


def deploy_plan(
    phases: Sequence[MigrationPhase], model: DeployModel = DeployModel.MIGRATE_THEN_ROLLOUT
) -> DeployPlan:
    """Place each migration (given in an order ``migrate`` may run them) into a step.

    A migration runs no earlier than the migrations it depends on: one that
    could run before the rollout but depends on an after-deploy one moves
    after it (with a note), and one that depends on a split one waits with it.
    """
    placed: dict[str, Phase] = {}
    notes: list[str] = []
    moved: dict[str, str] = {}
    for migration in phases:
        step = migration.phase
        for dependency in migration.dependencies:
            earlier = placed.get(dependency)
            if earlier is None or _rank(earlier) <= _rank(step):
                continue
            note = _moved_note(migration, dependency, earlier)
            notes.append(note)
            moved[migration.label] = note
            step = earlier
        placed[migration.label] = step
    by_step = {phase: tuple(label for label, step in placed.items() if step is phase)
               for phase in Phase}
    return DeployPlan(
        model=model,
        before_deploy=by_step[Phase.BEFORE],
        after_deploy=by_step[Phase.AFTER],
        split=by_step[Phase.SPLIT],
        before_commands=_migrate_commands(by_step[Phase.BEFORE]),
        after_commands=_migrate_commands(by_step[Phase.AFTER]),
        notes=tuple(notes),
        moved=tuple(moved.items()),
    )


def _rank(phase: Phase) -> int:
    return (Phase.BEFORE, Phase.AFTER, Phase.SPLIT).index(phase)


def _moved_note(migration: MigrationPhase, dependency: str, earlier: Phase) -> str:
    if earlier is Phase.SPLIT:
        return f"{migration.label} depends on {dependency}, which must be split first: it waits too"
    if migration.phase is Phase.BEFORE and any(v.needed_by_new for v in migration.operations):
        return (f"{migration.label} is needed before the rollout but depends on {dependency}, "
                "which can only run after it: move that one (and what depends on it) to the "
                "next release")
    return f"{migration.label} runs after the rollout because it depends on {dependency}"


def _migrate_commands(labels: Sequence[str]) -> tuple[str, ...]:
    """``migrate APP NAME`` to the last migration of each app in this step."""
    last: dict[str, str] = {}
    for label in labels:
        app_label, _, name = label.partition(".")
        last[app_label] = name
    return tuple(f"python manage.py migrate {app} {name}" for app, name in last.items())


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
