"""Hostile identifiers, SQL and messages in every output format.

The inputs go through the real analyzer; the Markdown is rendered by a real
CommonMark parser with GitHub's table extension, and the only HTML it may
contain is the report's own (details, summary, br).
"""

from __future__ import annotations

import json
import re

import pytest
from markdown_it import MarkdownIt

from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions, analyze_sql
from sqlreview.report import FORMATS, render_github, render_markdown
from sqlreview.report.links import RULES_BASE_URL
from sqlreview.report.markdown import COMMENT_LIMIT
from sqlreview.results import Level, Review, Section

OPTIONS = AnalyzerOptions(pg_version=14)
HOSTILE_NAMES = [
    "x</details><img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "a|b||c",
    "tick`s``here```",
    "new\nline\r\nname",
    "@octocat #1 **bold** [link](http://evil)",
    "::error::%0A,colon:comma",
    "&amp;&lt;entity",
    "<!-- unclosed comment",
]
# Room for everything (the SQL, the timelines): these tests are about escaping, not the budget.
ROOMY = COMMENT_LIMIT - 1_024
OUR_TAGS = re.compile(r"</?(details|summary|br)>")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def hostile_review() -> Review:
    sections = []
    for number, name in enumerate(HOSTILE_NAMES):
        table = _quoted(name)
        analyzer = Analyzer(OPTIONS, file=f"app/migrations/{number:04d}_{name[:5]}.py")
        analyzer.feed("BEGIN")
        analyzer.feed(f"ALTER TABLE {table} ADD COLUMN {_quoted(name + 'c')} integer;",
                      operation=f"Add field to {name}", line_offset=3)
        analyzer.feed(f"CREATE INDEX {_quoted(name + 'i')} ON {table} (id);",
                      operation=f"Create index on {name}", line_offset=9)
        analyzer.feed(f"ALTER TABLE {table} ALTER COLUMN c TYPE bigint;", line_offset=12)
        analyzer.feed("COMMIT")
        analysis = analyzer.finish()
        sections.append(Section(title=f"app.{number:04d}_{name}", analysis=analysis,
                                app="app", name=f"{number:04d}_{name}", atomic=True,
                                sql_text=f"BEGIN;\nALTER TABLE {table} ...;\nCOMMIT;\n",
                                warnings=[f"warning about {name}"]))
    broken = analyze_sql("SELECT '<img src=x>' FROM\n" + "x" * 5000, options=OPTIONS,
                         file="bad.sql")
    sections.append(Section(title="bad</details>.sql", analysis=broken))
    return Review(pg_version=14, kind="migrations", sections=sections,
                  warnings=[f"review warning: {name}" for name in HOSTILE_NAMES],
                  errors=["cannot read <img src=x>.sql"])


def _html_tokens(markdown: str) -> list[str]:
    parser = MarkdownIt("commonmark").enable("table")
    found = []
    for token in parser.parse(markdown):
        if token.type == "html_block":
            found.append(token.content)
        for child in token.children or []:
            if child.type == "html_inline":
                found.append(child.content)
    return found


@pytest.mark.parametrize("show", [None, Level.MEDIUM])
def test_markdown_contains_only_the_reports_own_html(show: Level | None) -> None:
    markdown = render_markdown(hostile_review(), show=show, limit=ROOMY)
    for html in _html_tokens(markdown):
        # Each HTML piece is one of ours, with only escaped text inside.
        stripped = OUR_TAGS.sub("", html)
        assert "<" not in stripped and ">" not in stripped, html
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    assert "<img" not in rendered and "<script" not in rendered
    assert rendered.count("<details>") == rendered.count("</details>")
    assert "<!--" not in rendered


def test_markdown_tables_are_not_broken_by_names() -> None:
    markdown = render_markdown(hostile_review(), show=None, limit=ROOMY)
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(markdown)
    tables = [i for i, token in enumerate(tokens) if token.type == "table_open"]
    assert len(tables) >= 2
    for start in tables:
        widths = []
        for token in tokens[start:]:
            if token.type == "table_close":
                break
            if token.type == "tr_open":
                widths.append(0)
            if token.type in ("th_open", "td_open"):
                widths[-1] += 1
        assert len(set(widths)) == 1, widths
    rendered = parser.render(markdown)
    # Code spans and cells show the name as written (pipes and backticks included).
    assert "a|b||c" in rendered
    assert "tick`s``here```" in rendered
    # No one is mentioned (GitHub ignores @ in code) and no link is made.
    outside_code = re.sub(r"<code[^>]*>.*?</code>", "", rendered, flags=re.DOTALL)
    assert "@octocat" not in outside_code and "@\u2060octocat" in outside_code
    # The only links are ours: each finding's rule page (no file links without a publisher).
    targets = re.findall(r'<a href="([^"]*)"', rendered)
    assert targets and all(re.fullmatch(re.escape(RULES_BASE_URL) + r"SR\d{3}/", target)
                           for target in targets), targets
    assert rendered.count("<a ") == len(targets)


def test_fenced_sql_outlasts_backticks_inside() -> None:
    markdown = render_markdown(hostile_review(), show=None, limit=ROOMY)
    blocks = MarkdownIt("commonmark").parse(markdown)
    sql = [token for token in blocks if token.type == "fence" and token.info == "sql"]
    assert any("tick`s``here```" in token.content for token in sql)


def test_mermaid_labels_are_plain() -> None:
    markdown = render_markdown(hostile_review(), show=None, limit=ROOMY)
    diagrams = re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.DOTALL)
    assert diagrams
    for diagram in diagrams:
        for line in diagram.splitlines()[1:]:
            line = line.strip()
            if line.startswith(("section ", "title ", "dateFormat ", "axisFormat ",
                                "tickInterval ", "todayMarker ")):
                continue
            label, _colon, data = line.partition(" :")
            assert re.fullmatch(r"[\w .()/\-]+", label), line
            assert re.fullmatch(r"(crit, |active, )?\d+, \d+", data), line


def test_github_commands_cannot_be_injected() -> None:
    output = render_github(hostile_review())
    command = re.compile(r"::(error|warning|notice) ((?:file=[^,:]*,line=\d+,)?title=[^,:]*)"
                         r"::(.*)")
    for line in output.splitlines():
        match = command.fullmatch(line)
        assert match, line
        message = match.group(3)
        assert "\n" not in message and "\r" not in message
        # Every % in the message starts one of the three escapes.
        assert re.fullmatch(r"(?:[^%]|%25|%0A|%0D)*", message), message
    # Review warnings are annotated too, as GitHub would show them: decoded exactly.
    warnings = [line for line in output.splitlines() if "title=sqlreview warning::" in line]
    assert warnings
    assert "::review warning: %3A" not in output  # data is not property-escaped


def test_github_round_trips_a_message_with_percent_and_newlines() -> None:
    statement_review = hostile_review()
    output = render_github(statement_review)
    line = next(line for line in output.splitlines() if "new" in line and "SR" in line)
    message = line.split("::", 2)[2]
    assert "%0A" in message or "%0D" in message
    decoded = message.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
    assert "\n" in decoded


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_every_format_survives_hostile_input(output_format: str) -> None:
    text = FORMATS[output_format](hostile_review())
    assert text.endswith("\n")
    if output_format in ("json", "sarif", "codequality"):
        json.loads(text)
    if output_format == "text":
        assert "\r" not in text
    # An echoed syntax error is cut, not copied whole.
    if output_format in ("text", "markdown"):
        assert "x" * 1000 not in text
