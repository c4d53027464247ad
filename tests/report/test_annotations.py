"""GitHub annotations: within what GitHub shows, worst first, warnings included."""

from __future__ import annotations

import re
from collections import Counter

from sqlreview.report import render_github
from sqlreview.report.machine import ANNOTATIONS_PER_LEVEL
from sqlreview.results import Finding, Level, Review, Section, SqlAnalysis, StatementResult
from tests.report.cases import many_migrations, shop_migrations

CODES = [("SR101", Level.CRITICAL), ("SR107", Level.HIGH), ("SR202", Level.HIGH),
         ("SR201", Level.MEDIUM), ("SR116", Level.MEDIUM), ("SR120", Level.LOW)]


def _big_review(migrations: int = 40, per_code: int = 3) -> Review:
    """829-ish findings, as one real upgrade review produced."""
    sections = []
    for number in range(migrations):
        statements = []
        for index in range(per_code * len(CODES)):
            code, severity = CODES[index % len(CODES)]
            statements.append(StatementResult(
                index=index, sql=f"-- {number} {index}", file=f"app/migrations/{number:04d}.py",
                line=10 + index, findings=[Finding(code, severity, f"{code} at {index}")]))
        sections.append(Section(title=f"app.{number:04d}", app="app", name=f"{number:04d}",
                                analysis=SqlAnalysis(file="x", pg_version=14,
                                                     statements=statements)))
    return Review(pg_version=14, kind="migrations", sections=sections,
                  warnings=["Conflicting migrations detected; multiple leaf nodes"])


def _levels(output: str) -> Counter[str]:
    return Counter(line.split(" ", 1)[0].strip(":") for line in output.splitlines())


def test_no_level_gets_more_than_github_shows() -> None:
    output = render_github(_big_review())
    levels = _levels(output)
    assert max(levels.values()) <= ANNOTATIONS_PER_LEVEL
    assert set(levels) == {"error", "warning", "notice"}


def test_the_worst_come_first_and_a_summary_says_how_many_more() -> None:
    review = _big_review()
    lines = render_github(review).splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    summary = [line for line in lines if "title=sqlreview summary::" in line]
    assert len(summary) == 1 and summary[0].startswith("::error")
    findings = [line for line in errors if "title=sqlreview SR" in line]
    # Every critical group (one per migration) outranks every high one.
    assert all("SR101" in line for line in findings)
    total = len(review.sections) * 3 * len(CODES)
    assert f"{total} findings in 40 migrations" in summary[0]
    hidden = re.search(r"(\d+) more finding annotations not shown", summary[0])
    assert hidden is not None
    groups = len(review.sections) * len(CODES)
    shown = sum(1 for line in lines if "title=sqlreview SR" in line)
    assert shown + int(hidden.group(1)) == groups


def test_one_annotation_per_code_and_migration_naming_the_repeats() -> None:
    lines = render_github(shop_migrations(lock_timeout_once=False)).splitlines()
    sr201 = [line for line in lines if "::SR201 " in line]
    assert len(sr201) == 3  # three migrations have it, 0004 three times
    grouped = next(line for line in sr201 if "0004_product_sku" in line)
    assert grouped.endswith("(and 2 more in this migration, lines 16, 22)")
    assert ",line=15," in grouped


def test_review_warnings_and_errors_are_annotations() -> None:
    review = shop_migrations()
    review.errors = ["cannot read gone.sql: No such file"]
    review.sections[1].warnings = ["approximate: an earlier migration failed"]
    lines = render_github(review).splitlines()
    assert lines[0] == ("::error title=sqlreview%3A input not reviewed::"
                        "cannot read gone.sql: No such file")
    assert ("::warning title=sqlreview warning::Conflicting migrations detected; multiple leaf "
            "nodes in the migration graph: (0006_address, 0006_other in shop)") in lines
    assert ("::warning file=shop/migrations/0003_order_total_bigint.py,line=1,title=sqlreview "
            "warning%3A shop.0003_order_total_bigint::approximate: an earlier migration "
            "failed") in lines


def test_warnings_only_review_still_annotates() -> None:
    review = Review(pg_version=14, kind="migrations",
                    warnings=["Conflicting migrations detected"])
    assert render_github(review) == ("::warning title=sqlreview warning::Conflicting "
                                     "migrations detected\n")


def test_a_real_sized_review_stays_within_the_cap() -> None:
    output = render_github(many_migrations())
    assert max(_levels(output).values()) <= ANNOTATIONS_PER_LEVEL
