"""The README's reference sections are generated from the code; they must not drift."""

from __future__ import annotations

from sqlreview import docs
from sqlreview.pg import knowledge, rules


def test_readme_reference_sections_are_up_to_date() -> None:
    current = docs.README.read_text(encoding="utf-8")
    assert docs.render(current) == current, "run: python -m sqlreview.docs"


def test_every_rule_and_knowledge_row_is_in_the_readme() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    for rule in rules.RULES:
        assert f"#### {rule.code} `{rule.name}`" in readme
    for entry in knowledge.KNOWLEDGE:
        assert f"| {entry.kind} | {entry.variant or '—'} |" in readme


def test_rule_codes_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in rules.RULES]
    assert len(codes) == len(set(codes))
    assert all(len(code) == 5 and code.startswith("SR") and code[2:].isdigit() for code in codes)
    assert all(rule.summary and rule.why and rule.instead for rule in rules.RULES)
