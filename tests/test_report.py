"""The reporters, fed hand-made results: they only read ``sqlreview.results``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

from sqlreview.pg.locks import LockMode
from sqlreview.report import FORMATS, render_github, render_json, render_markdown, render_text
from sqlreview.results import (
    Cost,
    Finding,
    Level,
    LockEntry,
    Review,
    Section,
    SqlAnalysis,
    StatementResult,
    TransactionHold,
)

FILE = "migrations/0002_order_coupon.sql"


def _statements() -> list[StatementResult]:
    return [
        StatementResult(index=0, sql="BEGIN", file=FILE, line=1, kind="TRANSACTION",
                        actions=["BEGIN"], in_transaction=True),
        StatementResult(
            index=1, sql="ALTER TABLE shop_order ADD COLUMN coupon text", file=FILE, line=2,
            kind="ALTER TABLE", actions=["ADD COLUMN coupon"],
            locks=[LockEntry("shop_order", LockMode.ACCESS_EXCLUSIVE, held_until=4)],
            cost=Cost.METADATA, risk=Level.MEDIUM, in_transaction=True,
            findings=[Finding("SR201", Level.MEDIUM,
                              "no lock_timeout is set before locking shop_order")],
        ),
        StatementResult(
            index=2, sql="UPDATE shop_order SET coupon = ''", file=FILE, line=3, kind="UPDATE",
            actions=["UPDATE shop_order"],
            locks=[LockEntry("shop_order", LockMode.ROW_EXCLUSIVE, held_until=4)],
            scans=["shop_order"], cost=Cost.DATA_CHANGE, risk=Level.HIGH, in_transaction=True,
            findings=[
                Finding("SR116", Level.MEDIUM, "UPDATE of every row of shop_order"),
                Finding("SR202", Level.HIGH, "ACCESS EXCLUSIVE on shop_order (taken at "
                        "statement 1) is held during this data change"),
            ],
        ),
        StatementResult(
            index=3, sql="SELECT a || b FROM t WHERE", file=FILE, line=4, kind="UNPARSED",
            cost=Cost.UNKNOWN, risk=None, in_transaction=True,
            error='syntax error at end of input (line 1 of the statement)',
            findings=[Finding("SR001", Level.HIGH, "syntax error | at end of input")],
        ),
        StatementResult(index=4, sql="COMMIT", file=FILE, line=5, kind="TRANSACTION",
                        actions=["COMMIT"]),
        StatementResult(
            index=5, sql="ALTER TABLE shop_order ADD COLUMN token uuid DEFAULT "
            "gen_random_uuid()", file=FILE, line=6, kind="ALTER TABLE",
            actions=["ADD COLUMN token"],
            locks=[LockEntry("shop_order", LockMode.ACCESS_EXCLUSIVE)],
            rewrites=["shop_order"], scans=["shop_order"], cost=Cost.REWRITE,
            risk=Level.CRITICAL,
            findings=[Finding("SR101", Level.CRITICAL, "ADD COLUMN token (volatile default) "
                              "rewrites shop_order")],
        ),
    ]


def _review(kind: str = "sql") -> Review:
    hold = TransactionHold(relation="shop_order", mode=LockMode.ACCESS_EXCLUSIVE,
                           acquired_at=1, released_at=4, held_through=[2, 3])
    quiet = TransactionHold(relation="shop_customer", mode=LockMode.SHARE,
                            acquired_at=1, released_at=4)
    analysis = SqlAnalysis(file=FILE, pg_version=14, statements=_statements(),
                           holds=[hold, quiet])
    return Review(pg_version=14, kind=kind, sections=[Section(title=FILE, analysis=analysis)])


# --- text ----------------------------------------------------------------------------


def test_text_starts_with_the_summary_line() -> None:
    first = render_text(_review()).splitlines()[0]
    assert first == ("sqlreview: 6 statements in 1 file, PostgreSQL 14 assumed: "
                     "1 critical, 1 high, 1 medium, 2 low, 1 not understood")


def test_text_table_has_the_risk_columns() -> None:
    lines = render_text(_review()).splitlines()
    header = next(line for line in lines if line.lstrip().startswith("#"))
    assert header.split() == ["#", "Line", "Statement", "Locks", "Blocks", "Cost", "Risk",
                              "Findings"]
    text = "\n".join(lines)
    assert "ACCESS EXCLUSIVE shop_order (to #4)" in text
    # The Blocks column (wrapped at 12 characters): ACCESS EXCLUSIVE blocks everything.
    assert "reads," in text and "writes, DDL" in text
    for label in ("critical", "high", "medium", "unknown"):
        assert re.search(rf"\b{label}\b", text), label
    assert "SR101 ADD COLUMN token" in text


def test_text_rows_keep_statement_order_and_line_numbers() -> None:
    rows = [line.split() for line in render_text(_review()).splitlines()
            if re.match(r"^\s*\d+\s+\d+\s", line)]
    assert [(row[0], row[1]) for row in rows] == [(str(i), str(i + 1)) for i in range(6)]


def test_text_hold_lines_name_what_runs_under_the_lock() -> None:
    text = render_text(_review())
    assert ("ACCESS EXCLUSIVE on shop_order is held from #1 to COMMIT at #4, through "
            "#2 UPDATE, #3 UNPARSED") in text
    # A hold nothing slow ran under is not worth a line.
    assert "on shop_customer is held" not in text


def test_text_hold_never_committed() -> None:
    review = _review()
    review.sections[0].analysis.holds[0].released_at = None
    assert "to the end of the input (never committed)" in render_text(review)


def test_text_for_migrations_names_them_and_drops_the_line_column() -> None:
    review = _review(kind="migrations")
    section = review.sections[0]
    section.title, section.atomic = "shop.0002_order_coupon", True
    section.statements[1].operation = "Add field coupon to order"
    failed = Section(title="shop.0003_broken", analysis=SqlAnalysis(file="x", pg_version=14),
                     atomic=False, error="FieldError: boom", warnings=["approximate"])
    review.sections.append(failed)
    text = render_text(review)
    assert text.splitlines()[0].startswith("sqlreview: 6 statements in 2 migrations,")
    assert "shop.0002_order_coupon (atomic)" in text
    assert "shop.0003_broken (not atomic) — FAILED: FieldError: boom" in text
    assert "warning: approximate" in text
    assert "Add field coupon to order" in text
    header = next(line for line in text.splitlines() if line.lstrip().startswith("#"))
    assert "Line" not in header.split()


def test_text_empty_review() -> None:
    review = Review(pg_version=16, sections=[
        Section(title="empty.sql", analysis=SqlAnalysis(file="empty.sql", pg_version=16))])
    text = render_text(review)
    assert text.splitlines()[0] == "sqlreview: 0 statements in 1 file, PostgreSQL 16 assumed"
    assert "empty.sql — no statements" in text


def test_summary_line_says_one_statement() -> None:
    review = Review(pg_version=16, sections=[Section(
        title="one.sql", analysis=SqlAnalysis(file="one.sql", pg_version=16,
                                               statements=[_statements()[0]]))])
    first = render_text(review).splitlines()[0]
    assert first.startswith("sqlreview: 1 statement in 1 file,"), first


# --- Markdown -------------------------------------------------------------------------


def test_markdown_is_a_github_table_with_escaped_pipes() -> None:
    markdown = render_markdown(_review())
    lines = markdown.splitlines()
    assert lines[0] == "### sqlreview: SQL risk"
    assert "**sqlreview: 6 statements in 1 file, PostgreSQL 14 assumed:" in markdown
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == 2 + 6
    columns = table[0].count("|")
    for row in table:
        assert row.count("|") - row.count("\\|") == columns, row
    unparsed = table[2 + 3]
    assert "SELECT a \\|\\| b FROM t WHERE" in unparsed
    assert "syntax error \\| at end of input" in unparsed
    # Multi-line cells use <br>, never a raw newline inside a row.
    assert "SR116 UPDATE of every row of shop_order<br>SR202" in table[2 + 2]


def test_markdown_explains_the_findings_and_lists_holds() -> None:
    markdown = render_markdown(_review())
    assert "<details><summary>What the findings mean</summary>" in markdown
    for code in ("SR001", "SR101", "SR116", "SR201", "SR202"):
        assert f"**{code} `" in markdown
    assert "- ACCESS EXCLUSIVE on shop_order is held from #1 to COMMIT at #4" in markdown


# --- JSON ---------------------------------------------------------------------------------


def test_json_round_trips() -> None:
    review = _review()
    document = json.loads(render_json(review))
    assert document == json.loads(json.dumps(review.to_json()))
    assert document["schema_version"] == 1
    assert document["pg_version"] == 14
    assert document["summary"] == {"statements": 6, "critical": 1, "high": 1, "medium": 1,
                                   "low": 2, "unknown": 1}
    statement = document["statements"][1]
    assert statement["locks"] == [{"relation": "shop_order", "mode": "AccessExclusiveLock",
                                   "held_until": 4}]
    assert statement["blocks"] == ["reads", "writes", "DDL"]
    assert statement["findings"] == [{"code": "SR201", "severity": "medium",
                                      "message": "no lock_timeout is set before locking "
                                                 "shop_order"}]
    assert document["statements"][3]["risk"] == "unknown"
    assert document["files"] == [{"file": FILE, "holds": [
        {"relation": "shop_order", "mode": "AccessExclusiveLock", "acquired_at": 1,
         "released_at": 4, "held_through": [2, 3],
         "taken": [{"statement": 1, "mode": "AccessExclusiveLock"}]},
        {"relation": "shop_customer", "mode": "ShareLock", "acquired_at": 1,
         "released_at": 4, "held_through": [],
         "taken": [{"statement": 1, "mode": "ShareLock"}]},
    ]}]


def test_json_for_migrations_groups_statements_by_migration() -> None:
    review = _review(kind="migrations")
    review.sections[0].app, review.sections[0].name = "shop", "0002_order_coupon"
    review.settings = {"mode": "replay", "schema_version": 99}
    document = json.loads(render_json(review))
    assert "statements" not in document
    (migration,) = document["migrations"]
    assert (migration["app"], migration["name"]) == ("shop", "0002_order_coupon")
    assert len(migration["statements"]) == 6
    assert document["mode"] == "replay"
    assert document["schema_version"] == 1  # settings never override the document's own keys


# --- GitHub annotations -------------------------------------------------------------------


def test_github_annotations_one_per_finding() -> None:
    lines = render_github(_review()).splitlines()
    assert lines[0] == (f"::warning file={FILE},line=2,title=sqlreview SR201 (medium)::"
                        "SR201 no lock_timeout is set before locking shop_order")
    assert [(line.split(" ", 1)[0], line.split(",line=")[1].split(",")[0])
            for line in lines] == [("::warning", "2"), ("::warning", "3"), ("::error", "3"),
                                   ("::error", "4"), ("::error", "6")]


def test_github_annotation_levels_follow_severity() -> None:
    by_code = {}
    for line in render_github(_review()).splitlines():
        code = re.search(r"::(SR\d+) ", line)
        assert code is not None, line
        by_code[code.group(1)] = line.split(" ", 1)[0]
    assert by_code == {"SR201": "::warning", "SR116": "::warning", "SR202": "::error",
                       "SR001": "::error", "SR101": "::error"}


def test_github_escapes_newlines_and_commas() -> None:
    statement = StatementResult(index=0, sql="x", file="dir,with:odd/0001.sql", line=7,
                                findings=[Finding("SR001", Level.HIGH, "line one\nline 100%")])
    review = Review(pg_version=14, sections=[Section(title="x", analysis=SqlAnalysis(
        file="x", pg_version=14, statements=[statement]))])
    (line,) = render_github(review).splitlines()
    assert line == ("::error file=dir%2Cwith%3Aodd/0001.sql,line=7,"
                    "title=sqlreview SR001 (high)::SR001 line one%0Aline 100%25")


def test_github_without_a_file_has_no_file_property() -> None:
    statement = StatementResult(index=0, sql="x", file="-",
                                findings=[Finding("SR107", Level.HIGH, "blocks writes")])
    review = Review(pg_version=14, sections=[Section(title="standard input", analysis=SqlAnalysis(
        file="-", pg_version=14, statements=[statement]))])
    assert render_github(review) == ("::error title=sqlreview SR107 (high)::"
                                     "SR107 blocks writes\n")
    assert render_github(Review(pg_version=14)) == ""


# --- independence ---------------------------------------------------------------------


def test_every_format_is_registered() -> None:
    assert set(FORMATS) == {"text", "markdown", "json", "github"}
    for render in FORMATS.values():
        assert render(_review()).endswith("\n")


def test_reporters_do_not_need_pglast() -> None:
    """Import and run every reporter with pglast made unimportable."""
    script = textwrap.dedent("""
        import sys
        sys.modules["pglast"] = None  # any "import pglast" now raises ImportError
        from sqlreview.pg.locks import LockMode
        from sqlreview.report import FORMATS
        from sqlreview.results import (Finding, Level, LockEntry, Review, Section,
                                       SqlAnalysis, StatementResult)
        statement = StatementResult(index=0, sql="CREATE INDEX i ON t (c)", kind="CREATE INDEX",
            locks=[LockEntry("t", LockMode.SHARE)], risk=Level.HIGH,
            findings=[Finding("SR107", Level.HIGH, "blocks writes on t")])
        review = Review(pg_version=14, sections=[Section(title="a.sql",
            analysis=SqlAnalysis(file="a.sql", pg_version=14, statements=[statement]))])
        for name, render in sorted(FORMATS.items()):
            assert "SR107" in render(review), name
        print("ok")
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"
