"""The steps that turn analysed statements into the review the report shows.

``finish`` runs them in one order, written once here; each step reads what
the ones before it decided, so the order is part of the result (the golden
files pin it):

1. SR201 once (migrations only): after the migrations' own suppressions,
   which happened while each was analysed, so one a migration made stands
   (SR007, production drift, is attached there too, before the migration's
   ``# sqlreview: ignore`` comments, so they apply to it like to any code).
2. ``--stats`` sizes: estimates, and risk graded by them.
3. ``[tool.sqlreview] ignore``: after the sizes, so an ignored code stays
   ignored whatever the sizes made of its statement's risk.
4. The deploy plan's step becomes each migration's phase (migrations only),
   and the plan is recorded in the settings.
5. ``finalize``: each statement's risk, graded once from what the steps
   before left: its base grade and the findings that count. No step before
   it writes a risk.

What each step records of the run goes in ``review.settings`` (``RunSettings``),
which fixes the order the JSON lists it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlreview.deploy import DeployPlan
from sqlreview.django.timeouts import report_lock_timeout_once
from sqlreview.pg.rules import RULES
from sqlreview.results import Level, Review, Section, StatementResult
from sqlreview.review.sizes import Sizes, apply_sizes
from sqlreview.suppress import suppress_everywhere, suppressed


@dataclass(frozen=True)
class ProjectConfig:
    """What ``[tool.sqlreview]`` adds to a review: where it was read, its warnings, its ignores."""

    path: Path | None = None
    warnings: Sequence[str] = ()
    ignore: Sequence[str] = ()
    select: Sequence[str] = ()  # empty: every code counts
    # The flag that gave ignore / select (None: the config file).
    ignored_by: str | None = None
    selected_by: str | None = None

    def suppressed(self) -> dict[str, str]:
        """Each code the review must not count, with the reason a reader is shown."""
        config = f"in {self.path} ([tool.sqlreview]" if self.path else "(configuration"
        reasons = dict.fromkeys(
            self.ignore, f"ignored by {self.ignored_by}" if self.ignored_by
            else f"ignored {config} ignore)")
        if self.select:
            by = self.selected_by or f"{config} select)"
            reasons.update(dict.fromkeys(
                (rule.code for rule in RULES if rule.code not in self.select),
                f"not selected ({by})"))
        return reasons


@dataclass(frozen=True)
class DeployOutcome:
    """A Django review's deploy plan."""

    plan: DeployPlan
    one_deploy: bool  # the migrations ship together: the plan places them


def finish(review: Review, *, sizes: Sizes | None, config: ProjectConfig,
           deploy: DeployOutcome | None = None,
           lock_timeout_alias: str | None = None) -> Review:
    """Every step after the analysis, in order (the module's docstring says why).

    ``lock_timeout_alias``: the database alias whose timeouts SR201 names, for a
    review of migrations (None: raw SQL, every statement keeps its SR201)."""
    if lock_timeout_alias is not None:
        report_lock_timeout_once(review, lock_timeout_alias)
    apply_sizes(review, sizes)
    apply_config(review, config)
    if deploy is not None:
        apply_deploy(review, deploy)
    return finalize(review)


def finalize(review: Review) -> Review:
    """Every statement's risk, graded once, after every step that adds, moves or
    suppresses a finding or regrades a statement's base by its size."""
    for statement in review.statements:
        statement.risk = final_risk(statement)
    return review


def final_risk(statement: StatementResult) -> Level | None:
    """The worst of its base grade (its locks and cost, or with --stats how long it
    blocks) and its findings that count. A statement not understood stays unknown;
    one with a suppressed finding drops its base grade: the reviewer accepted what
    it does, and only the findings left count (low when none is)."""
    if statement.risk is None:
        return None
    counted = [finding.severity for finding in statement.findings if not finding.suppressed]
    accepted = any(finding.suppressed for finding in statement.findings)
    base = Level.LOW if accepted or statement.base_risk is None else statement.base_risk
    return max([base, *counted])


def apply_config(review: Review, config: ProjectConfig) -> None:
    """The config's ``ignore`` on every statement, its warnings, where it was read."""
    review.settings.config = str(config.path) if config.path is not None else None  # none read
    review.warnings.extend(config.warnings)
    reasons = config.suppressed()
    suppress_everywhere(review.statements, reasons)
    for section in review.sections:
        suppress_section(section, reasons)


def suppress_section(section: Section, reasons: dict[str, str]) -> None:
    """The config's ``ignore`` on a migration's own findings."""
    section.findings, _matched = suppressed(section.findings, reasons)


def apply_deploy(review: Review, deploy: DeployOutcome) -> None:
    if deploy.one_deploy:
        place_by_plan(review, deploy.plan)
    review.settings.deploy_plan = deploy.plan.to_json()


def place_by_plan(review: Review, plan: DeployPlan) -> None:
    """Each migration's phase is the step the deploy plan runs it in, so the table and
    ``--deploy-order`` give one answer; a migration the order moved says why."""
    moved = dict(plan.moved)
    for section in review.sections:
        step = plan.step_of(section.title)
        if step is None or section.phase is None:
            continue
        if step.value != section.phase:
            section.phase_moved = (f"runs {step.value}, not {section.phase}: "
                                   f"{moved[section.title]}")
            section.warnings.append(section.phase_moved)
            section.phase = step.value
