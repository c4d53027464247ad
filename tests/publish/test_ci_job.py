"""``python -m sqlreview.cli.ci_job``: one review per CI step, whose exit code is the review's
whatever publishing does (a fork's read-only token: a warning, the summary still written)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlreview.cli import ci_job
from sqlreview.publish.body import marker
from tests.support.cli import run_isolated
from tests.support.publish import CLEAN_SQL, HIGH_SQL, PR, REPO, Cli


@dataclass
class Step:
    code: int
    out: str
    err: str
    summary: str
    outputs: dict[str, str]


def run_step(cli: Cli, sql: str, *flags: str, env: dict[str, str]) -> Step:
    summary, outputs = cli.tmp / "summary.md", cli.tmp / "output"
    summary.write_text("earlier step\n", encoding="utf-8")
    run = run_isolated(["--markdown", str(cli.tmp / "report" / "report.md"),
                        "--summary", str(summary), "--outputs", str(outputs),
                        "--warning-style", "github", *flags,
                        "--", "sql", cli.sql_file(sql), "--fail-on", "high",
                        "--publish", "github"],
                       env={**cli.base_env(), **env}, entry=ci_job.main, exit_is_code=False)
    lines = outputs.read_text(encoding="utf-8").splitlines()
    return Step(run.code, run.out, run.err, summary.read_text(encoding="utf-8"),
                dict(line.split("=", 1) for line in lines))


def our_comments(cli: Cli) -> list[str]:
    return [c["body"] for c in cli.hub.github[(REPO, PR)] if c["body"].startswith(marker(None))]


def test_a_risky_review_comments_writes_the_summary_and_fails(cli: Cli) -> None:
    step = run_step(cli, HIGH_SQL, env=cli.github_env())
    assert step.code == 1
    assert step.outputs["risk"] == "high" and step.outputs["exit-code"] == "1"
    report = Path(step.outputs["report-path"]).read_text(encoding="utf-8")
    assert "SR107" in report and step.summary == "earlier step\n" + report
    [comment] = our_comments(cli)
    assert "SR107" in comment
    assert "::warning" not in step.out


def test_a_refused_comment_warns_and_keeps_the_reviews_exit_code(cli: Cli) -> None:
    cli.hub.read_only = True  # a pull request from a fork: 403 on writes
    step = run_step(cli, HIGH_SQL, env=cli.github_env())
    assert step.code == 1 and step.outputs["exit-code"] == "1"
    assert "::warning title=sqlreview::the review could not be posted" in step.out
    assert "403" in step.err
    assert "SR107" in step.summary
    assert our_comments(cli) == []


def test_a_refused_comment_on_a_clean_review_passes(cli: Cli) -> None:
    cli.hub.read_only = True
    step = run_step(cli, CLEAN_SQL, env=cli.github_env())
    assert step.code == 0 and step.outputs["exit-code"] == "0"
    assert "::warning" in step.out


def test_publish_fatal_makes_a_refused_comment_exit_4(cli: Cli) -> None:
    cli.hub.read_only = True
    step = run_step(cli, CLEAN_SQL, "--publish-fatal", env=cli.github_env())
    assert step.code == 4 and step.outputs["exit-code"] == "4"


def test_code_quality_comes_from_the_same_review(cli: Cli) -> None:
    report = cli.tmp / "gl-code-quality-report.json"
    step = run_step(cli, HIGH_SQL, "--codequality", str(report), env=cli.github_env())
    assert step.code == 1
    assert '"check_name": "SR107"' in report.read_text(encoding="utf-8")


def test_without_publish_the_arguments_go_through_untouched() -> None:
    assert ci_job.without_publish(["sql", "--publish", "github", "a.sql", "--publish=gitlab",
                                   "--publish-key", "docs"]) == [
        "sql", "a.sql", "--publish-key", "docs"]



def test_an_input_that_cannot_be_read_is_an_unknown_risk(cli: Cli) -> None:
    missing = str(cli.tmp / "missing.sql")
    code = run_isolated(["--markdown", str(cli.tmp / "again.md"), "--outputs",
                         str(cli.tmp / "again"), "--", "sql", missing],
                        env={**cli.base_env(), **cli.github_env()}, entry=ci_job.main,
                        exit_is_code=False).code
    assert code == 2
    assert (cli.tmp / "again").read_text(encoding="utf-8").startswith("risk=unknown\n")


def test_a_review_that_cannot_run_says_so_in_the_summary(cli: Cli) -> None:
    summary, outputs = cli.tmp / "summary.md", cli.tmp / "output"
    code = run_isolated(["--markdown", str(cli.tmp / "report.md"), "--summary", str(summary),
                         "--outputs", str(outputs), "--", "sql", "--no-such-flag",
                         "--publish", "github"],
                        env={**cli.base_env(), **cli.github_env()}, entry=ci_job.main,
                        exit_is_code=False).code
    assert code == 2
    assert outputs.read_text(encoding="utf-8").splitlines()[:2] == ["risk=unknown",
                                                                     "exit-code=2"]
    assert "sqlreview stopped before reviewing anything (exit code 2)" in summary.read_text(
        encoding="utf-8")
    assert our_comments(cli) == []
