"""Risk is graded once, at the end of the review, from a statement's base grade and
the findings that count; a migration's own findings count for the review."""

from __future__ import annotations

import json

from sqlreview.cli.outcome import exit_code
from sqlreview.deploy import DeployModel, DeployPlan, MigrationPhase, OperationVerdict, Phase
from sqlreview.django.drift import Drift
from sqlreview.django.drift import attach as attach_drift
from sqlreview.errors import ExitCode
from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions
from sqlreview.pg.rules import rule
from sqlreview.report import FORMATS
from sqlreview.results import Level, Review, Section, SqlAnalysis, StatementResult
from sqlreview.review.finish import DeployOutcome, ProjectConfig, finalize, finish
from sqlreview.review.migrations import attach_deploy


def statement(base: Level, *codes: str, risk: Level | None = Level.LOW) -> StatementResult:
    result = StatementResult(index=0, sql="ALTER TABLE t RENAME COLUMN a TO b;",
                             file="shop/migrations/0002_rename.py", risk=risk, base_risk=base)
    result.findings = [rule(code).finding(f"{code} here") for code in codes]
    return result


def review_of(*statements: StatementResult, findings: tuple[str, ...] = ()) -> Review:
    section = Section(title="shop.0002_rename", app="shop", name="0002_rename",
                      analysis=SqlAnalysis(file="shop/migrations/0002_rename.py", pg_version=14,
                                           statements=list(statements)))
    section.findings = [rule(code).finding(f"{code} about the migration") for code in findings]
    return Review(pg_version=14, kind="migrations", sections=[section])


def test_the_risk_is_the_worst_of_the_base_grade_and_the_findings_that_count() -> None:
    quiet, loud = statement(Level.MEDIUM, "SR205"), statement(Level.LOW, "SR406")
    finalize(review_of(quiet, loud))
    assert (quiet.risk, loud.risk) == (Level.MEDIUM, Level.HIGH)


def test_a_risk_left_by_a_finding_taken_away_is_graded_again() -> None:
    rename = statement(Level.MEDIUM, risk=Level.HIGH)  # as if SR118 had been removed
    finalize(review_of(rename))
    assert rename.risk is Level.MEDIUM


def test_a_suppressed_finding_no_longer_counts_nor_does_the_base() -> None:
    accepted = statement(Level.HIGH, "SR406")
    finish(review_of(accepted), sizes=None, config=ProjectConfig(ignore=("SR406",)))
    assert accepted.findings[0].suppressed and accepted.risk is Level.LOW


def test_a_statement_not_understood_stays_unknown() -> None:
    unparsed = statement(Level.LOW, "SR406", risk=None)
    finalize(review_of(unparsed))
    assert unparsed.risk is None


def test_a_migration_finding_counts_for_fail_on_unless_ignored() -> None:
    review = finish(review_of(statement(Level.LOW), findings=("SR415",)), sizes=None,
                    config=ProjectConfig())
    assert review.worst_risk() is Level.MEDIUM
    assert exit_code(review, Level.MEDIUM) is ExitCode.FINDINGS
    ignored = finish(review_of(statement(Level.LOW), findings=("SR415",)), sizes=None,
                     config=ProjectConfig(ignore=("SR415",)))
    assert ignored.worst_risk() is Level.LOW
    assert exit_code(ignored, Level.MEDIUM) is ExitCode.OK


def test_every_format_shows_a_migration_finding() -> None:
    review = finalize(review_of(statement(Level.LOW), findings=("SR415",)))
    for name, render in FORMATS.items():
        assert "SR415" in render(review, show=None), name
    document = json.loads(FORMATS["json"](review, show=None))
    assert document["migrations"][0]["findings"][0]["code"] == "SR415"
    assert "medium" in FORMATS["text"](review, show=None).splitlines()[0]


def test_a_verdict_without_a_statement_that_works_belongs_to_the_migration() -> None:
    analyzer = Analyzer(AnalyzerOptions(pg_version=14))
    analyzer.feed('SET CONSTRAINTS "fk" IMMEDIATE;')  # operation 0: no lock, no cost
    analyzer.feed("SELECT 1;")  # not an operation's
    section = Section(title="shop.0003", analysis=analyzer.finish())
    verdicts = (OperationVerdict(0, "Remove field courier from order", Phase.SPLIT,
                                 findings=(rule("SR404").finding("dropped"),)),
                OperationVerdict(1, "Remove field note from order (state only)", Phase.SPLIT,
                                 findings=(rule("SR410").finding("state only"),)))
    phase = MigrationPhase("shop", "0003", Phase.SPLIT, verdicts,
                           findings=(rule("SR415").finding("mixed"),))
    attach_deploy(section, phase, {0: 0, 1: None})
    assert [s.findings for s in section.statements] == [[], []]
    assert [f.code for f in section.findings] == ["SR404", "SR410", "SR415"]
    finalize(Review(pg_version=14, kind="migrations", sections=[section]))
    assert [s.risk for s in section.statements] == [Level.LOW, Level.LOW]
    assert section.own_risk is Level.HIGH


def _drifted_review(config: ProjectConfig) -> Review:
    """A statement that renames an index production has under another name (SR007, high)."""
    rename = StatementResult(index=0, sql='ALTER INDEX "shop_order_status_idx" RENAME TO "s";',
                             file="shop/migrations/0002_rename.py", risk=Level.LOW,
                             base_risk=Level.LOW)
    drifted = Drift("public.shop_order", "index", "shop_order_status_idx", None, "(status)")
    plan = DeployPlan(DeployModel.MIGRATE_THEN_ROLLOUT, ("shop.0002_rename",), (), ())
    review = review_of(rename)
    attach_drift(review.sections[0], [drifted])  # as the migration's analysis does
    return finish(review, sizes=None, config=config,
                  deploy=DeployOutcome(plan, one_deploy=False))


def test_production_drift_counts_unless_ignored_like_any_code() -> None:
    drifted = _drifted_review(ProjectConfig())
    assert [f.code for f in drifted.statements[0].findings] == ["SR007"]
    assert drifted.worst_risk() is Level.HIGH
    for config in (ProjectConfig(ignore=("SR007",)),
                   ProjectConfig(ignore=("SR007",), ignored_by="--ignore"),
                   ProjectConfig(select=("SR201",))):
        review = _drifted_review(config)
        [finding] = review.statements[0].findings
        assert finding.code == "SR007" and finding.suppressed, config
        assert review.worst_risk() is Level.LOW, config
        assert exit_code(review, Level.MEDIUM) is ExitCode.OK, config
