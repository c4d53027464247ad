"""Keep the documentation's reference pages generated from the code's own data.

    python -m sqlreview.docs          rewrite the generated pages under docs/
    python -m sqlreview.docs --check  exit 1 if a generated page is out of date (the tests do this)

Generated: one page per rule (``docs/rules/SR103.md``), the rules index's table and
the lock table (``docs/locks.md``), between ``BEGIN/END GENERATED`` markers in the
hand-written pages. ``rule_text`` and ``rule_list`` say the same in a terminal
(``sqlreview rule [CODE]``).
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlreview.pg import knowledge, rules
from sqlreview.pg.rules import DjangoExample, Example, MigrationExample, Rule
from sqlreview.report.links import rule_url

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
RULE_PAGES = DOCS / "rules"
SOURCE_URL = "https://github.com/sqlreview/sqlreview/blob/main/"

POSTGRES_MANUAL = "https://www.postgresql.org/docs/current/"
# The statement kinds the rules' examples use, and their page in the manual (longest first:
# CREATE UNIQUE INDEX before CREATE ...).
STATEMENT_PAGES: dict[str, str] = {
    "ALTER TABLE": "sql-altertable.html",
    "ALTER TYPE": "sql-altertype.html",
    "CREATE UNIQUE INDEX": "sql-createindex.html",
    "CREATE INDEX": "sql-createindex.html",
    "CREATE TABLE": "sql-createtable.html",
    "CREATE MATERIALIZED VIEW": "sql-creatematerializedview.html",
    "CREATE FUNCTION": "sql-createfunction.html",
    "CREATE EXTENSION": "sql-createextension.html",
    "DROP INDEX": "sql-dropindex.html",
    "DROP TABLE": "sql-droptable.html",
    "DROP DATABASE": "sql-dropdatabase.html",
    "REFRESH MATERIALIZED VIEW": "sql-refreshmaterializedview.html",
    "REINDEX": "sql-reindex.html",
    "TRUNCATE": "sql-truncate.html",
    "UPDATE": "sql-update.html",
    "DELETE": "sql-delete.html",
    "INSERT": "sql-insert.html",
    "VACUUM": "sql-vacuum.html",
    "LOCK": "sql-lock.html",
    "BEGIN": "sql-begin.html",
    "SET": "sql-set.html",
}
# Settings the rules' advice is about: their entry in the manual.
SETTING_PAGES: dict[str, str] = {
    "lock_timeout": "runtime-config-client.html#GUC-LOCK-TIMEOUT",
    "statement_timeout": "runtime-config-client.html#GUC-STATEMENT-TIMEOUT",
}


# --- one rule ---------------------------------------------------------------------------


def statement_kinds(rule: Rule) -> list[str]:
    """The statement kinds of the rule's examples, in the order they first appear."""
    kinds: list[str] = []
    for statement in _example_statements(rule):
        kind = next((kind for kind in STATEMENT_PAGES
                     if re.match(rf"{kind}\b", statement, re.IGNORECASE)), None)
        if kind is not None and STATEMENT_PAGES[kind] not in map(STATEMENT_PAGES.get, kinds):
            kinds.append(kind)
    return kinds


def _example_statements(rule: Rule) -> Iterator[str]:
    for example in rule.examples:
        for sql in (example.bad_sql, example.good_sql):
            for statement in sql.split(";"):
                text = re.sub(r"--[^\n]*", "", statement).strip()
                if text:
                    yield text


def manual_links(rule: Rule) -> list[tuple[str, str]]:
    """(title, URL) of the PostgreSQL manual's pages for what the rule is about."""
    links = [(kind, POSTGRES_MANUAL + STATEMENT_PAGES[kind]) for kind in statement_kinds(rule)]
    said = " ".join([rule.why, rule.instead, *_example_statements(rule)])
    links += [(setting, POSTGRES_MANUAL + page) for setting, page in SETTING_PAGES.items()
              if setting in said]
    return links


def rule_page(rule: Rule) -> str:
    """The rule's page of the documentation site, in Markdown."""
    parts = [f"# {rule.code} `{rule.name}`\n\n**Severity:** {rule.severity.label}\n",
             f"## What it does\n\n{rule.summary}\n" + _scope(rule),
             f"## Why it is risky\n\n{rule.why}\n",
             f"## Do this instead\n\n{rule.instead}\n" + _instead_for_package(rule),
             _examples_markdown(rule)]
    links = manual_links(rule)
    if links:
        parts.append("## PostgreSQL manual\n\n"
                     + "".join(f"- [{title}]({url})\n" for title, url in links))
    return "\n".join(part for part in parts if part)


def _scope(rule: Rule) -> str:
    text = f"\n**When it fires:** {rule.scope}\n" if rule.scope else ""
    if rule.about_design:
        text += ("\n**Installed packages:** not raised on their migrations: only the package's "
                 "authors can change its models.\n")
    return text


def _instead_for_package(rule: Rule) -> str:
    advice = rule.instead_for_package
    return f"\n**In an installed package's migration:** {advice}\n" if advice else ""


def _examples_markdown(rule: Rule) -> str:
    if rule.examples or rule.django_examples:
        return "## Examples\n\n" + "\n".join(
            [*map(_example_markdown, rule.examples), *_django_examples_markdown(rule)])
    if rule.migration_examples:
        return _migration_examples_markdown(rule.code, *rule.migration_examples)
    if rule.examples_elsewhere:
        path = rule.examples_elsewhere.split(" ")[0]
        return (f"## Examples\n\nThis rule is raised from Django migrations, not from SQL "
                f"alone: its examples are in [{rule.examples_elsewhere}]"
                f"({SOURCE_URL}{path}), which the test suite runs.\n")
    return ""


def _migration_examples_markdown(code: str, bad: str, good: str) -> str:
    """The bad and the good migration, as the tests review them."""
    return ("## Examples\n\n"
            "Two migrations of the deploy tests' project: the tests review each and check "
            f"that the first raises {code} and the second does not.\n\n"
            f"Bad, [`{Path(bad).name}`]({SOURCE_URL}{bad}):\n\n{_python_block(bad)}\n"
            f"Good, [`{Path(good).name}`]({SOURCE_URL}{good}):\n\n{_python_block(good)}")


def _python_block(path: str) -> str:
    code = (ROOT / path).read_text(encoding="utf-8").strip()
    return f"```python\n{code}\n```\n"


def _django_examples_markdown(rule: Rule) -> list[str]:
    if not rule.django_examples:
        return []
    intro = ("Migrations, as `manage.py sqlmigrate` prints them: the tests review each and "
             f"check that the bad one raises {rule.code} and the good one does not.\n")
    return [intro, *(_django_example_markdown(example) for example in rule.django_examples)]


def _django_example_markdown(example: DjangoExample) -> str:
    why_good = f" ({example.why_good})" if example.why_good else ""
    return (f"Bad, {_migration_said(example.bad)}:\n\n"
            f"```sql\n{migration_sql(example.bad)}\n```\n\n"
            f"Good, {_migration_said(example.good)}{why_good}:\n\n"
            f"```sql\n{migration_sql(example.good)}\n```\n")


def _migration_said(migration: MigrationExample) -> str:
    said = "an atomic migration" if migration.atomic else "a migration with `atomic = False`"
    return f"{said} that fails to render (`{migration.error}`)" if migration.error else said


# What ``manage.py sqlmigrate`` prints for an operation that has no SQL.
NO_SQL = "-- THIS OPERATION CANNOT BE WRITTEN AS SQL"


def migration_sql(migration: MigrationExample) -> str:
    """The migration as ``manage.py sqlmigrate`` prints it: each operation under its
    description, in BEGIN/COMMIT when it is atomic."""
    lines = ["BEGIN;"] if migration.atomic else []
    for statement in migration.statements:
        lines += ["--", f"-- {statement.operation}", "--", statement.sql or NO_SQL]
    return "\n".join([*lines, *(["COMMIT;"] if migration.atomic else [])])


def _example_markdown(example: Example) -> str:
    where = " (the SQL of a `migrations.RunSQL` operation)" if example.hand_written else ""
    why_good = f" ({example.why_good})" if example.why_good else ""
    return (f"Bad{where}:\n\n```sql\n{example.bad_sql}\n```\n\n"
            f"Good{why_good}:\n\n```sql\n{example.good_sql}\n```\n")


def rule_index() -> str:
    """The table of every rule, for the rules index page."""
    rows = [f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | {rule.severity.label} | "
            f"{_cell(rule.summary)} |" for rule in rules.RULES]
    return "| Code | Name | Severity | What it finds |\n| --- | --- | --- | --- |\n" + "\n".join(
        rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- the terminal: `sqlreview rule [CODE]` ---------------------------------------------


def rule_text(code: str, width: int = 80) -> str:
    """A rule's page as plain terminal text; KeyError names an unknown code."""
    rule = rules.RULES_BY_CODE.get(code.upper())
    if rule is None:
        raise KeyError(f"no rule {code!r}: `sqlreview rule` lists them")
    blocks = [f"{rule.code} {rule.name} ({rule.severity.label})",
              _paragraph(rule.summary, width)]
    if rule.scope:
        blocks.append(_section("When it fires", rule.scope, width))
    blocks += [_section("Why it is risky", rule.why, width),
               _section("Do this instead", rule.instead, width)]
    if rule.instead_for_package:
        blocks.append(_section("In an installed package's migration",
                               rule.instead_for_package, width))
    blocks += [_example_text(example) for example in rule.examples]
    blocks += [_django_example_text(example) for example in rule.django_examples]
    links = [rule_url(rule.code), *(url for _, url in manual_links(rule))]
    blocks.append("See:\n" + "\n".join(f"  {url}" for url in links))
    return "\n\n".join(blocks) + "\n"


def rule_list(width: int = 80) -> str:
    """Every rule on one line each: code, severity, name; `sqlreview rule CODE` says more."""
    lines = [f"{rule.code}  {rule.severity.label:<8}  {rule.name}" for rule in rules.RULES]
    lines.append("")
    lines.append(_paragraph("sqlreview rule CODE explains one (what it finds, why it is risky, "
                            "what to do instead, examples).", width))
    return "\n".join(lines) + "\n"


def _plain(text: str) -> str:
    """Markdown's emphasis and code marks dropped; the words kept."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("**", "").replace("`", "")


def _paragraph(text: str, width: int, indent: str = "") -> str:
    return textwrap.fill(_plain(text), width=width, initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def _section(title: str, text: str, width: int) -> str:
    return f"{title}:\n{_paragraph(text, width, indent='  ')}"


def _example_text(example: Example) -> str:
    why_good = f" ({_plain(example.why_good)})" if example.why_good else ""
    where = " (the SQL of a migrations.RunSQL operation)" if example.hand_written else ""
    return (f"Bad{where}:\n{textwrap.indent(example.bad_sql, '  ')}\n\n"
            f"Good{why_good}:\n{textwrap.indent(example.good_sql, '  ')}")


def _django_example_text(example: DjangoExample) -> str:
    why_good = f" ({_plain(example.why_good)})" if example.why_good else ""
    return (f"Bad, {_plain(_migration_said(example.bad))}:\n"
            f"{textwrap.indent(migration_sql(example.bad), '  ')}\n\n"
            f"Good, {_plain(_migration_said(example.good))}{why_good}:\n"
            f"{textwrap.indent(migration_sql(example.good), '  ')}")


# --- the generated files ---------------------------------------------------------------


GENERATED_SECTIONS: dict[str, dict[str, Callable[[], str]]] = {
    "locks.md": {"lock-reference": knowledge.render_markdown},
    "rules/index.md": {"rules-index": rule_index},
}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {name} -->\n)(.*?)(<!-- END GENERATED: {name} -->)",
        re.DOTALL,
    )


def _filler(generated: str) -> Callable[[re.Match[str]], str]:
    def fill(match: re.Match[str]) -> str:
        return f"{match.group(1)}{generated}\n{match.group(3)}"

    return fill


def render(text: str, sections: dict[str, Callable[[], str]]) -> str:
    """``text`` with each generated section filled by its generator."""
    for name, generate in sections.items():
        pattern = _block(name)
        if not pattern.search(text):
            raise ValueError(f"no generated section {name!r}")
        text = pattern.sub(_filler(generate()), text)
    return text


def wanted_pages(docs: Path = DOCS) -> dict[Path, str]:
    """Every generated page (or page with generated sections) and the text it should have."""
    pages = {docs / "rules" / f"{rule.code}.md": rule_page(rule) for rule in rules.RULES}
    for name, sections in GENERATED_SECTIONS.items():
        path = docs / name
        pages[path] = render(path.read_text(encoding="utf-8"), sections)
    return pages


def stale_pages(docs: Path = DOCS) -> list[Path]:
    """Pages that differ from what the code generates, and rule pages of no rule."""
    wanted = wanted_pages(docs)
    stale = [path for path, text in wanted.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    return stale + _orphan_rule_pages(docs, wanted)


def _orphan_rule_pages(docs: Path, wanted: dict[Path, str]) -> list[Path]:
    return sorted(path for path in (docs / "rules").glob("SR*.md") if path not in wanted)


def write_pages(docs: Path = DOCS) -> None:
    wanted = wanted_pages(docs)
    for path in _orphan_rule_pages(docs, wanted):
        path.unlink()
    for path, text in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_pages()
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run python -m sqlreview.docs",
                  file=sys.stderr)
        return 1 if stale else 0
    write_pages()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
