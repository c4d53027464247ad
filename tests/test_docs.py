"""The documentation: generated pages current, every rule with its page, a short README,
and every relative link of the README and docs/ resolving (file and anchor)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from sqlreview import docs
from sqlreview.pg import knowledge, rules
from sqlreview.report.links import rule_url
from tests.support.deploy import RULE_EXAMPLES

README_BUDGET = 15 * 1024
MARKDOWN_FILES = [docs.README, *sorted(docs.DOCS.rglob("*.md"))]


def test_generated_pages_are_up_to_date() -> None:
    stale = [str(path.relative_to(docs.ROOT)) for path in docs.stale_pages()]
    assert not stale, f"run: python -m sqlreview.docs ({', '.join(stale)})"


def test_every_rule_has_its_page_and_a_row_in_the_index() -> None:
    index = (docs.RULE_PAGES / "index.md").read_text(encoding="utf-8")
    for rule in rules.RULES:
        page = (docs.RULE_PAGES / f"{rule.code}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {rule.code} `{rule.name}`\n")
        assert rule.why in page and rule.instead in page
        assert f"| [{rule.code}]({rule.code}.md) | `{rule.name}` |" in index


def test_every_knowledge_row_is_in_the_lock_table_page() -> None:
    page = (docs.DOCS / "locks.md").read_text(encoding="utf-8")
    for entry in knowledge.KNOWLEDGE:
        assert f"| {entry.kind} | {entry.variant or '—'} |" in page


def test_a_rule_page_links_the_manual_for_its_statements() -> None:
    page = docs.rule_page(rules.RULES_BY_CODE["SR107"])
    assert "[CREATE INDEX](https://www.postgresql.org/docs/current/sql-createindex.html)" in page
    assert "Bad:\n\n```sql\n" in page and "Good" in page


def test_a_rule_raised_from_migrations_shows_them_as_sqlmigrate_prints_them() -> None:
    page = docs.rule_page(rules.RULES_BY_CODE["SR302"])
    assert ("Bad, an atomic migration:\n\n```sql\nBEGIN;\n--\n-- Add field coupon to order\n"
            "--\nALTER TABLE") in page
    assert f"-- Raw Python operation\n--\n{docs.NO_SQL}\nCOMMIT;\n```" in page
    assert "Bad, a migration with atomic = False:\n  --\n" in docs.rule_text("SR301")


def test_the_migration_examples_are_the_pairs_the_deploy_tests_check() -> None:
    shown = {rule.code: tuple(Path(path).stem for path in rule.migration_examples)
             for rule in rules.RULES if rule.migration_examples}
    assert shown == RULE_EXAMPLES


def test_the_site_serves_each_rule_page_at_the_url_the_reports_link() -> None:
    config = (docs.ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "use_directory_urls: true" in config
    site_url = re.search(r"^site_url: (\S+)$", config, re.MULTILINE)
    assert site_url is not None
    assert rule_url("SR103") == f"{site_url.group(1)}rules/SR103/"


def test_rule_codes_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in rules.RULES]
    assert len(codes) == len(set(codes))
    assert all(len(code) == 5 and code.startswith("SR") and code[2:].isdigit() for code in codes)
    assert all(rule.summary and rule.why and rule.instead for rule in rules.RULES)


def test_the_readme_is_what_a_newcomer_needs() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    assert len(readme.encode()) <= README_BUDGET
    for heading in ("## Install", "## Quickstart", "## CI recipes", "## Documentation"):
        assert f"\n{heading}\n" in readme


# --- links -----------------------------------------------------------------------------


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading of the README."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def mkdocs_slug(heading: str) -> str:
    """Python-Markdown's toc anchor, as mkdocs makes it for a page of docs/."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def without_code(text: str) -> str:
    return re.sub(r"^(`{3,}).*?^\1", "", text, flags=re.MULTILINE | re.DOTALL)


def anchors(path: Path) -> set[str]:
    """The anchors of a file's headings; a repeated heading is numbered as its renderer does."""
    slug, separator = (github_slug, "-") if path == docs.README else (mkdocs_slug, "_")
    found: set[str] = set()
    text = without_code(path.read_text(encoding="utf-8"))
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        base = anchor = slug(heading)
        number = 0
        while anchor in found:
            number += 1
            anchor = f"{base}{separator}{number}"
        found.add(anchor)
    return found


def relative_links(path: Path) -> list[str]:
    text = without_code(path.read_text(encoding="utf-8"))
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [target for target in targets if not re.match(r"[a-z]+:", target)]


def resolves(source: Path, target: str) -> bool:
    file_part, _, anchor = target.partition("#")
    linked = (source.parent / file_part).resolve() if file_part else source
    if not linked.exists():
        return False
    return not anchor or linked.suffix != ".md" or anchor in anchors(linked)


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(docs.ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = [target for target in relative_links(path) if not resolves(path, target)]
    assert not broken, broken
