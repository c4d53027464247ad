"""The pull-request comment read as GitHub renders it (CommonMark + tables, by
markdown-it): within its character budget, no table wider than a comment, every
finding linked to its rule page, and nothing important lost on a large upgrade:
every finding code at medium or above of every migration is still named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from sqlreview.report import render_markdown
from sqlreview.report.links import RULES_BASE_URL, rule_url
from sqlreview.report.markdown import COMMENT_BUDGET, TABLE_WIDTH, measure
from sqlreview.results import Level, Review
from sqlreview.scratch import ScratchServer
from tests.report.cases import CASES, large_upgrade
from tests.support.cli import SAMPLE, run_sqlreview

PARSER = MarkdownIt("commonmark").enable("table")
READABLE = ["one_statement", "shop_migrations", "sized_migrations", "sized_timeline",
            "large_upgrade", "many_migrations", "risky_script"]


def tables(markdown: str) -> list[list[list[str]]]:
    """Each table as rows of cells, each cell the text a reader sees."""
    found: list[list[list[str]]] = []
    for token in PARSER.parse(markdown):
        if token.type == "table_open":
            found.append([])
        elif token.type == "tr_open":
            found[-1].append([])
        elif token.type == "inline" and found and found[-1] and _in_cell(token):
            found[-1][-1].append(_text(token))
        elif token.type == "table_close":
            found[-1] = [row for row in found[-1] if row]
    return found


def _in_cell(token: Token) -> bool:
    return token.level >= 4  # table > thead/tbody > tr > th/td > inline


def _text(token: Token) -> str:
    return "".join(child.content for child in token.children or []
                   if child.type in ("text", "code_inline"))


def table_width(table: list[list[str]]) -> int:
    """Characters a row takes at the table's natural width: each column as wide as
    its widest cell, with a separator's three between columns."""
    columns = len(table[0])
    widths = [max(len(row[i]) for row in table if i < len(row)) for i in range(columns)]
    return sum(widths) + 3 * (columns - 1)


def sections(markdown: str) -> dict[str, str]:
    """Each migration's (or file's) part of the comment, by its title."""
    parts: dict[str, str] = {}
    for chunk in markdown.split("\n#### ")[1:]:
        heading, _newline, body = chunk.partition("\n")
        title = heading.split(" — ")[0].strip("[]`")
        parts[title.split("](")[0].strip("`")] = body
    return parts


def expected_codes(review: Review) -> dict[str, set[str]]:
    """Per migration, the finding codes at medium or above that no ignore suppressed."""
    return {section.title: {f.code for s in section.statements for f in s.findings
                            if f.severity >= Level.MEDIUM and f.suppressed is None}
            for section in review.sections}


def assert_every_code_named(markdown: str, codes: dict[str, set[str]]) -> None:
    """In the summary row (in migrate order; a long name is shortened there) and
    in the migration's own part, as a link to the rule's page."""
    parts = sections(markdown)
    rows = tables(markdown)[0][1:]
    assert len(rows) == len(codes)
    for (title, wanted), row in zip(codes.items(), rows, strict=True):
        assert title.startswith(row[0].split("…")[0]), (title, row)
        assert set(row[-1].split()) >= wanted, title
        for code in wanted:
            assert f"[{code}]({rule_url(code)})" in parts[title], (title, code)


@pytest.mark.parametrize("case", READABLE)
def test_the_comment_keeps_to_its_budgets(case: str) -> None:
    markdown = render_markdown(CASES[case]())
    assert measure(markdown) <= COMMENT_BUDGET
    found = tables(markdown)
    assert found
    for table in found:
        assert table_width(table) <= TABLE_WIDTH, table[:3]


@pytest.mark.parametrize("case", READABLE)
def test_every_finding_links_to_its_rule_page(case: str) -> None:
    markdown = render_markdown(CASES[case]())
    bullets = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert bullets
    rendered = PARSER.render("\n".join(bullets))
    for bullet, html in zip(bullets, rendered.split("<li>")[1:], strict=True):
        code = bullet.split("[", 1)[1].split("]", 1)[0]
        assert f'<a href="{rule_url(code)}">{code}</a>' in html, bullet


def test_each_finding_code_is_said_once_per_migration() -> None:
    markdown = render_markdown(CASES["large_upgrade"]())
    for title, body in sections(markdown).items():
        links = [line.split("]", 1)[0] for line in body.splitlines() if line.startswith("- ")]
        assert len(links) == len(set(links)), title


def test_a_large_upgrade_fits_with_every_finding_named() -> None:
    review = large_upgrade()
    assert len(review.sections) == 31
    markdown = render_markdown(review)
    assert measure(markdown) <= COMMENT_BUDGET
    assert_every_code_named(markdown, expected_codes(review))


def test_without_any_lock_timeout_the_summary_still_names_every_code() -> None:
    """SR201 on every statement of 31 migrations: the sections lose their medium
    findings to fit, the summary names every code."""
    review = large_upgrade(lock_timeout_once=False)
    markdown = render_markdown(review)
    assert measure(markdown) <= COMMENT_BUDGET
    rows = tables(markdown)[0][1:]
    for wanted, row in zip(expected_codes(review).values(), rows, strict=True):
        assert set(row[-1].split()) >= wanted, row


def test_file_links_come_from_the_publisher() -> None:
    review = CASES["shop_migrations"]()
    assert "](https://example.test" not in render_markdown(review)
    linked = render_markdown(review, file_url=lambda path, line: f"https://example.test/{path}")
    assert ("#### [`shop.0003_order_total_bigint`]"
            "(https://example.test/shop/migrations/0003_order_total_bigint.py) — critical"
            ) in linked
    elsewhere = render_markdown(review, rules_base_url="https://docs.example.test/r")
    assert "[SR103](https://docs.example.test/r/SR103/)" in elsewhere
    assert RULES_BASE_URL not in elsewhere


# --- the sample project, reviewed for real ------------------------------------------------


def sqlreview(*args: str) -> str:
    completed = run_sqlreview("--all", "--pythonpath", str(SAMPLE), "--settings",
                              "sampleproject.settings", "--fail-on", "never", *args)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_sample_reviewed_with_all_fits_with_every_finding_named(
        pg_server: ScratchServer) -> None:
    markdown = sqlreview("--format", "markdown", "--scratch-url", pg_server.url)
    document: dict[str, Any] = json.loads(sqlreview("--format", "json", "--scratch-url",
                                                    pg_server.url))
    assert measure(markdown) <= COMMENT_BUDGET
    for table in tables(markdown):
        assert table_width(table) <= TABLE_WIDTH, table[:3]
    codes = {f"{m['app']}.{m['name']}": {f["code"] for s in m["statements"]
                                        for f in s["findings"]
                                        if f["severity"] in ("medium", "high", "critical")
                                        and f["suppressed"] is None}
             for m in document["migrations"]}
    assert len(codes) >= 25
    assert_every_code_named(markdown, codes)
