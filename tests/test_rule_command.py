"""`sqlreview rule [CODE]`: a rule's page as terminal text, and the list of every rule."""

from __future__ import annotations

import pytest

from sqlreview import docs
from sqlreview.pg import rules
from sqlreview.report.links import rule_url


def test_a_rule_says_what_why_instead_its_examples_and_its_page() -> None:
    text = docs.rule_text("SR103")
    rule = rules.RULES_BY_CODE["SR103"]
    assert text.startswith("SR103 column-type-change-rewrites-table (critical)\n")
    for title in ("Why it is risky:", "Do this instead:", "Bad:", "Good", "See:"):
        assert title in text
    assert rule.examples[0].bad_sql in text
    assert rule_url("SR103") in text
    assert "https://www.postgresql.org/docs/current/sql-altertable.html" in text


def test_prose_wraps_at_the_width_and_loses_its_markdown() -> None:
    text = docs.rule_text("SR201", width=60)
    prose = text.split("\nBad:")[0]
    assert all(len(line) <= 60 for line in prose.splitlines())
    assert "`" not in prose and "**" not in prose


def test_hand_written_sql_says_it_is_a_run_sql() -> None:
    assert "Bad (the SQL of a migrations.RunSQL operation):" in docs.rule_text("SR303")


def test_codes_are_case_insensitive_and_an_unknown_one_says_so() -> None:
    assert docs.rule_text("sr107") == docs.rule_text("SR107")
    with pytest.raises(KeyError, match="SR999"):
        docs.rule_text("SR999")


def test_a_rule_without_sql_examples_still_points_at_its_page() -> None:
    text = docs.rule_text("SR401")
    assert "Bad:" not in text and rule_url("SR401") in text


def test_the_list_has_every_rule_on_one_line() -> None:
    listing = docs.rule_list().splitlines()
    for rule in rules.RULES:
        assert f"{rule.code}  {rule.severity.label:<8}  {rule.name}" in listing
    assert "sqlreview rule CODE" in docs.rule_list()
