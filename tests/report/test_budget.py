"""The Markdown report always fits one comment, degrading in the documented order."""

from __future__ import annotations

import pytest

from sqlreview.locking import LockMode
from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.report import render_markdown
from sqlreview.report.markdown import (
    COMMENT_LIMIT,
    DEFAULT_LIMIT,
    DEFAULT_SHOW,
    Layout,
    ReportLinks,
    _Document,
    measure,
)
from sqlreview.results import (
    Finding,
    Level,
    LockEntry,
    Review,
    Section,
    SqlAnalysis,
    StatementResult,
)
from tests.report.cases import CASES, risky_script, shop_migrations


@pytest.mark.parametrize("count", [1, 50, 2_000, 6_000])
@pytest.mark.parametrize("limit", [DEFAULT_LIMIT, 8_000, 600])
def test_markdown_never_exceeds_the_limit(count: int, limit: int) -> None:
    text = render_markdown(risky_script(count), limit=limit)
    assert measure(text) <= limit
    assert text.startswith("### sqlreview: SQL risk")


def _left_out_note(limit: int) -> str:
    return f"Left out to keep this comment short** ({limit:,} characters): "


def test_degrading_drops_sql_first_then_the_least_risky_rows() -> None:
    review = shop_migrations()
    full = render_markdown(review)
    assert "Left out" not in full and "```sql" in full
    limit = measure(full) - 100
    without_sql = render_markdown(review, limit=limit)
    assert "```sql" not in without_sql
    assert _left_out_note(limit) + "the SQL of each migration." in without_sql
    assert without_sql.count("\n| ") == full.count("\n| ")  # every row is still there
    tighter = render_markdown(review, limit=measure(without_sql) - 150)
    assert "the least risky (medium)" in tighter
    assert "| 3 | **high** |" in tighter  # the index build survives
    assert "| 1 | **critical** |" in tighter  # and the rewrite


def test_findings_outlast_the_statement_lists_and_timelines() -> None:
    review = shop_migrations()
    findings = [line for line in render_markdown(review).splitlines()
                if line.startswith("- ") and "/rules/SR" in line]
    assert len(findings) == 5  # SR201, SR103, SR107, SR202, SR116: each once
    bare = Layout(sql=False, statements=False, timeline=False)
    document = _Document(review, DEFAULT_SHOW, ReportLinks())
    text = document.attempt(bare, DEFAULT_LIMIT)
    assert text is not None
    shortest = render_markdown(review, limit=measure(text) + 10)
    assert "<details>" not in shortest and "```mermaid" not in shortest
    assert "the statement list of each migration; the lock timelines" in shortest
    assert [line for line in shortest.splitlines() if line.startswith("- ")] == findings


def test_a_huge_summary_is_cut_at_a_higher_level() -> None:
    sections = []
    for number in range(5_000):
        risk = Level.CRITICAL if number % 1_000 == 7 else Level.MEDIUM
        statement = StatementResult(
            index=0, sql="ALTER TABLE t ADD COLUMN c int", file=f"m/{number}.py",
            kind="ALTER TABLE", locks=[LockEntry("t", LockMode.ACCESS_EXCLUSIVE)], risk=risk,
            findings=[Finding("SR201", Level.MEDIUM, "no lock_timeout")])
        sections.append(Section(title=f"app.{number:04d}_m", app="app", name=f"{number:04d}_m",
                                analysis=SqlAnalysis(file="x", pg_version=14,
                                                     statements=[statement])))
    review = Review(pg_version=14, kind="migrations", sections=sections)
    text = render_markdown(review)
    assert measure(text) <= DEFAULT_LIMIT
    for number in (7, 1007, 2007, 3007, 4007):
        assert f"| `app.{number:04d}_m` | **critical** |" in text
    assert "4995 migrations below high in the summary" in text
    assert "| … 4995 more (below high) |" in text


def test_endless_warnings_still_fit() -> None:
    review = CASES["one_statement"]()
    review.warnings = [f"warning {number}: " + "w" * 20_000 for number in range(1_000)]
    review.errors = ["e" * 100_000]
    text = render_markdown(review)
    assert measure(text) <= DEFAULT_LIMIT
    assert "and 980 more warnings" in text


def test_the_limit_counts_what_github_counts() -> None:
    """Astral characters are two UTF-16 units for GitHub's counter."""
    sql = "".join(f'CREATE INDEX "i{n}" ON "t😀{n}" (c);\n' for n in range(3_000))
    review = Review(pg_version=14, sections=[Section(title="emoji.sql", analysis=analyze_sql(
        sql, options=AnalyzerOptions(pg_version=14), file="emoji.sql"))])
    text = render_markdown(review)
    assert len(text.encode("utf-16-le")) // 2 <= DEFAULT_LIMIT < COMMENT_LIMIT
