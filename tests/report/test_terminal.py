"""The text report on a terminal: it fits the width, colours only when asked
or on a terminal (NO_COLOR, FORCE_COLOR, --color), says a repeated finding once."""

from __future__ import annotations

import io

import pytest

from sqlreview.cli.options import terminal_options
from sqlreview.cli.sql import sql_parser
from sqlreview.report import digest, escape, terminal, text
from sqlreview.report.terminal import TerminalOptions, resolve, visible_length
from sqlreview.results import Finding, Level, StatementResult
from tests.report.cases import CASES, render

SGR = "\x1b["


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("width", [80, 100, 120, 200])
@pytest.mark.parametrize("case", ["one_statement", "shop_migrations", "sized_migrations"])
def test_no_line_is_wider_than_the_terminal(case: str, width: int) -> None:
    for color in (False, True):
        report = text.render_text(CASES[case](), options=TerminalOptions(width, color))
        too_wide = [line for line in report.splitlines() if visible_length(line) > width]
        assert too_wide == []


def test_messages_and_advice_are_never_cut() -> None:
    review = CASES["shop_migrations"]()
    report = text.render_text(review, options=TerminalOptions(80))
    words = " ".join(report.split())
    assert "…" not in report
    for statement in review.statements:
        for finding in statement.findings:
            assert " ".join(finding.message.split()) in words
            assert " ".join(text.advice(finding).split()) in words


def test_the_80_column_golden_is_the_sample_at_80_columns() -> None:
    assert max(len(line) for line in render("shop_migrations", "text-80").splitlines()) <= 80
    assert max(len(line) for line in render("shop_migrations", "text-200").splitlines()) <= 200


def test_a_finding_reads_like_a_linter() -> None:
    report = render("shop_migrations", "text-200").splitlines()
    head = report.index("  shop/migrations/0003_order_total_bigint.py:12: SR103 critical  "
                        "ALTER COLUMN total TYPE bigint rewrites shop_order under ACCESS "
                        "EXCLUSIVE: integer to bigint converts every stored value")
    assert report[head + 1] == ("    #1: Alter field total on order: ALTER TABLE shop_order: "
                                "ALTER COLUMN total TYPE bigint")
    assert report[head + 2].startswith("    help: Add a new column of the new type")
    assert report[head + 3] == "    https://sqlreview.readthedocs.io/en/latest/rules/SR103/"


# --- colour ---------------------------------------------------------------------------


def test_color_always_paints_risk_and_a_bold_verdict_never_does_not() -> None:
    review = CASES["shop_migrations"]
    coloured = text.render_text(review(), options=TerminalOptions(100, color=True))
    plain = text.render_text(review(), options=TerminalOptions(100, color=False))
    assert SGR not in plain
    first = coloured.splitlines()[0]
    assert first.startswith("\x1b[1;1;31mcritical:")  # bold, and red for critical
    assert "\x1b[1;33mmedium\x1b[0m" in coloured  # a section's risk in its header
    assert "\x1b[33mmedium\x1b[0m" in coloured
    assert "\x1b[1;31mSR103 critical\x1b[0m" in coloured
    assert terminal.without_colour(coloured) == plain


@pytest.mark.parametrize(("choice", "environment", "tty", "expected"), [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"FORCE_COLOR": "0"}, False, False),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),
    ("always", {"NO_COLOR": "1"}, False, True),
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_when_to_colour(choice: str, environment: dict[str, str], tty: bool,
                        expected: bool) -> None:
    stream = Tty() if tty else io.StringIO()
    assert resolve(width=None, color=choice, stream=stream, environ=environment).color is expected


def test_width_from_the_flag_then_columns_then_100_off_a_terminal() -> None:
    assert resolve(width=132, color="never", stream=None, environ={"COLUMNS": "90"}).width == 132
    assert resolve(width=None, color="never", stream=None, environ={"COLUMNS": "90"}).width == 90
    assert resolve(width=None, color="never", stream=io.StringIO(), environ={}).width == 100


def test_the_flags_become_the_options_the_cli_hands_the_text_report() -> None:
    parser = sql_parser()
    arguments = parser.parse_args(["-", "--width", "120", "--color", "always"])
    options = terminal_options(arguments, stdout=io.StringIO(), environ={})
    assert options == TerminalOptions(width=120, color=True)
    defaults = terminal_options(parser.parse_args(["-"]), stdout=io.StringIO(), environ={})
    assert defaults == TerminalOptions()
    with pytest.raises(SystemExit):
        parser.parse_args(["-", "--width", "10"])


def test_a_report_drawn_without_options_is_for_a_file() -> None:
    assert SGR not in text.render_text(CASES["one_statement"]())
    assert text.render_text(CASES["one_statement"]()) == \
        text.render_text(CASES["one_statement"](), options=TerminalOptions())


def test_hostile_text_cannot_drive_the_terminal_even_in_colour() -> None:
    review = CASES["one_statement"]()
    statement = review.statements[0]
    statement.findings[0] = Finding("SR107", Level.HIGH, "evil \x1b]0;owned\x07 \x1b[8mhidden")
    report = text.render_text(review, options=TerminalOptions(100, color=True))
    assert "\x1b]" not in report and "\x1b[8m" not in report and "\x07" not in report
    assert escape.terminal("\x1b]0;owned\x07") in report


# --- repetition -----------------------------------------------------------------------


def _statement(index: int, findings: list[Finding]) -> StatementResult:
    return StatementResult(index=index, sql="", file="app/migrations/0002.py", line=10 + index,
                           findings=findings)


def test_a_finding_repeated_on_many_statements_is_said_once_with_their_numbers() -> None:
    repeated = Finding("SR201", Level.MEDIUM, "no lock_timeout is set before locking t")
    other = Finding("SR107", Level.HIGH, "CREATE INDEX i blocks writes to t")
    statements = [_statement(i, [repeated]) for i in (3, 5, 6, 7, 8, 9)]
    statements.insert(1, _statement(4, [other]))
    said = text.repeated_findings(statements)
    assert [(s.finding.code, [st.index for st in s.statements]) for s in said] == [
        ("SR201", [3, 5, 6, 7, 8, 9]), ("SR107", [4])]
    assert text.statement_list(said[0].statements) == "#3, #5\u2013#9"
    assert text.statement_list([_statement(i, []) for i in (1, 2, 4)]) == "#1, #2, #4"


def test_long_lists_of_tables_are_summarised() -> None:
    names = [f"shop_table{i}" for i in range(14)]
    message = f"no lock_timeout is set before locking {', '.join(names)}"
    assert text.summarise_names(message) == (
        "no lock_timeout is set before locking 14 tables: shop_table0, shop_table1, "
        "shop_table2 and 11 more")
    short = "no lock_timeout is set before locking a, b, c"
    assert text.summarise_names(short) == short


def test_a_summary_too_wide_for_the_terminal_puts_locks_and_hold_under_each_row() -> None:
    review = CASES["shop_migrations"]
    wide = text.summary_table(review(), digest.digests(review(), Level.MEDIUM),
                              TerminalOptions(200))
    assert "Locks (strongest first)" in wide[0] and len(wide) == 2 + 5
    narrow = text.summary_table(review(), digest.digests(review(), Level.MEDIUM),
                                TerminalOptions(80))
    assert narrow[0].split() == ["Migration", "Risk", "Findings"]
    rewrite = narrow.index("shop.0003_order_total_bigint  critical  SR103")
    assert narrow[rewrite + 1].strip() == "locks ACCESS EXCLUSIVE shop_order; held 1"
    assert narrow[-1].split() == ["shop.0006_address", "low", "—"]  # new tables: no lock line


def test_a_report_written_to_a_file_is_drawn_for_a_file() -> None:
    parser = sql_parser()
    assert terminal_options(parser.parse_args(["-"]), stdout=Tty(), environ={}).color
    to_file = parser.parse_args(["-", "-o", "report.txt"])
    assert terminal_options(to_file, stdout=Tty(), environ={}) == TerminalOptions(width=100,
                                                                                  color=False)
    named_dash = parser.parse_args(["-", "-o", "-"])  # -o writes a file, whatever its name
    assert not terminal_options(named_dash, stdout=Tty(), environ={}).color


def test_a_listing_too_narrow_for_its_columns_says_locks_blocks_and_cost_under_each_row() -> None:
    review = CASES["shop_migrations"]()
    section = review.sections[1]  # shop.0003: the rewrite
    listing = text.statement_table(review, section.statements[1:2], TerminalOptions(50))
    assert listing[0].split() == ["#", "Risk", "Statement"]
    assert all(len(line) <= 50 for line in listing)
    words = " ".join(" ".join(listing).split())
    assert ("locks ACCESS EXCLUSIVE shop_order; blocks reads, writes, DDL; full rewrite"
            in words)
    report = text.render_text(review, options=TerminalOptions(40))
    assert max(len(line) for line in report.splitlines()) <= 40
