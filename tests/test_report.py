"""The reporters, fed hand-made results: they only read ``sqlreview.results``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from dataclasses import replace

from sqlreview.locking import LockMode
from sqlreview.pg import rules
from sqlreview.report import FORMATS, render_github, render_json, render_markdown, render_text
from sqlreview.report.terminal import TerminalOptions
from sqlreview.results import (
    Cost,
    Finding,
    Level,
    LockEntry,
    Measurement,
    Review,
    RunSettings,
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


# Wide enough that no cell wraps: these tests read rows and lines whole.
WIDE = TerminalOptions(width=300)

# --- text ----------------------------------------------------------------------------


def test_text_starts_with_the_verdict_then_the_summary_line() -> None:
    first, second = render_text(_review(), options=WIDE).splitlines()[:2]
    assert first == ("critical: shop_order rewritten under ACCESS EXCLUSIVE "
                     f"({FILE} line 6, SR101); 3 more statements at medium or above")
    assert second == ("sqlreview: 6 statements in 1 file, PostgreSQL 14 assumed: "
                      "1 critical, 1 high, 1 medium, 2 low, 1 not understood")


def test_text_summary_table_has_one_row_per_file() -> None:
    lines = render_text(_review(), options=WIDE).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("File "))
    assert lines[header].split("  ")[0] == "File"
    for column in ("Risk", "Locks (strongest first)", "Longest hold", "Findings"):
        assert column in lines[header]
    row = lines[header + 2]
    assert row.startswith(FILE)
    assert "critical" in row and "ACCESS EXCLUSIVE shop_order" in row
    assert "3 statements: shop_order #1 → COMMIT #4" in row
    assert row.rstrip().endswith("SR001 SR101 SR116 SR201 SR202")
    assert lines[header + 3] == ""  # one file, one row


def _detail_rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if re.match(r"^\s+\d+\s+\d+\s", line)]


def test_text_lists_statements_at_or_above_show_and_folds_transaction_frames() -> None:
    text = render_text(_review(), options=WIDE)
    rows = _detail_rows(text)
    # BEGIN (0) and COMMIT (4) are frames; nothing else is below medium here.
    assert [(row[0], row[1], row[2]) for row in rows] == [
        ("1", "2", "medium"), ("2", "3", "high"), ("3", "4", "unknown"), ("5", "6", "critical")]
    assert ("transaction: ACCESS EXCLUSIVE on shop_order held #1 → COMMIT #4 through "
            "#2 UPDATE, #3 UNPARSED") in text
    assert "SHARE on shop_customer" not in text  # a lock nothing ran under is no news
    # Each finding after the table, where it was raised, with the statements it covers.
    lines = text.splitlines()
    update = lines.index(f"  {FILE}:3: SR116 medium  UPDATE of every row of shop_order")
    assert lines[update + 1].startswith("    #2: ")
    assert lines[update + 2].startswith("    help: ")
    assert lines[update + 3] == "    https://sqlreview.readthedocs.io/en/latest/rules/SR116/"
    assert any(line.startswith(f"  {FILE}:3: SR202 ") and "ACCESS EXCLUSIVE on shop_order" in line
               for line in lines)


def test_show_level_chooses_the_detail_rows() -> None:
    assert [row[0] for row in _detail_rows(render_text(_review(), show=Level.HIGH))] == [
        "2", "3", "5"]
    critical = render_text(_review(), show=Level.CRITICAL)
    assert [row[0] for row in _detail_rows(critical)] == ["5"]
    assert "(3 statements below critical not shown: --show all lists them)" in critical
    everything = render_text(_review(), show=None)
    assert [row[0] for row in _detail_rows(everything)] == ["1", "2", "3", "5"]
    assert "not shown" not in everything


def test_low_statements_are_hidden_by_default_and_counted() -> None:
    statements = _statements()
    statements[1].risk, statements[1].findings = Level.LOW, []
    analysis = SqlAnalysis(file=FILE, pg_version=14, statements=statements)
    review = Review(pg_version=14, sections=[Section(title=FILE, analysis=analysis)])
    text = render_text(review)
    assert [row[0] for row in _detail_rows(text)] == ["2", "3", "5"]
    assert "(1 statement below medium not shown: --show all lists them)" in text


def test_text_hold_never_committed() -> None:
    statements = _statements()[:4]
    for statement in statements:
        statement.locks = [replace(lock, held_until=None) for lock in statement.locks]
    analysis = SqlAnalysis(file=FILE, pg_version=14, statements=statements)
    text = render_text(Review(pg_version=14, sections=[Section(title=FILE, analysis=analysis)]))
    assert "transaction (never committed): ACCESS EXCLUSIVE on shop_order held #1 → the end" \
        in text


def test_text_escalation_says_which_statement_took_which_mode() -> None:
    statements = [
        StatementResult(index=0, sql="BEGIN", kind="TRANSACTION", actions=["BEGIN"],
                        in_transaction=True),
        StatementResult(index=1, sql="CREATE INDEX i ON t (c)", kind="CREATE INDEX",
                        locks=[LockEntry("t", LockMode.SHARE, held_until=3)],
                        risk=Level.HIGH, in_transaction=True),
        StatementResult(index=2, sql="ALTER TABLE t ADD COLUMN d int", kind="ALTER TABLE",
                        locks=[LockEntry("t", LockMode.ACCESS_EXCLUSIVE, held_until=3)],
                        risk=Level.MEDIUM, in_transaction=True),
        StatementResult(index=3, sql="COMMIT", kind="TRANSACTION", actions=["COMMIT"]),
    ]
    analysis = SqlAnalysis(file="t.sql", pg_version=14, statements=statements)
    text = render_text(Review(pg_version=14, sections=[Section(title="t.sql",
                                                               analysis=analysis)]))
    assert ("transaction: ACCESS EXCLUSIVE on t held #1 → COMMIT #3 "
            "(SHARE from #1, ACCESS EXCLUSIVE from #2)") in text


def test_text_for_migrations_names_them_and_drops_the_line_column() -> None:
    review = _review(kind="migrations")
    section = review.sections[0]
    section.title, section.atomic = "shop.0002_order_coupon", True
    section.app, section.name = "shop", "0002_order_coupon"
    section.statements[1].operation = "Add field coupon to order"
    failed = Section(title="shop.0003_broken", analysis=SqlAnalysis(file="x", pg_version=14),
                     app="shop", name="0003_broken", atomic=False, error="FieldError: boom",
                     warnings=["approximate"])
    review.sections.append(failed)
    text = render_text(review, options=WIDE)
    assert text.splitlines()[0].endswith("(shop.0002 #5, SR101); 3 more statements at "
                                         "medium or above")
    assert text.splitlines()[1].startswith("sqlreview: 6 statements in 2 migrations,")
    assert "shop.0002_order_coupon — critical\natomic: ACCESS EXCLUSIVE on shop_order" in text
    assert "shop.0003_broken — failed\nFAILED: FieldError: boom\nwarning: approximate" in text
    summary = next(line for line in text.splitlines() if line.startswith("shop.0003_broken "))
    assert summary.split()[1] == "failed"
    assert "Add field coupon to order" in text
    header = next(line for line in text.splitlines() if line.lstrip().startswith("#  "))
    assert "Line" not in header.split()


def test_text_empty_review() -> None:
    review = Review(pg_version=16, sections=[
        Section(title="empty.sql", analysis=SqlAnalysis(file="empty.sql", pg_version=16))])
    lines = render_text(review).splitlines()
    assert lines[0] == "ok: no statements to review"
    assert lines[1] == "sqlreview: 0 statements in 1 file, PostgreSQL 16 assumed"
    assert render_text(Review(pg_version=16)).splitlines()[0] == "ok: no statements to review"


def test_clean_review_says_so() -> None:
    review = Review(pg_version=16, sections=[Section(
        title="one.sql", analysis=SqlAnalysis(file="one.sql", pg_version=16,
                                               statements=[_statements()[0]]))])
    first, second = render_text(review).splitlines()[:2]
    assert first == "ok: nothing above low risk in 1 statement"
    assert second.startswith("sqlreview: 1 statement in 1 file,"), second


def test_a_phase_column_appears_when_sections_carry_one() -> None:
    review = _review(kind="migrations")
    assert "Phase" not in render_text(review)
    review.sections[0].phase = "pre-deploy"
    text = render_text(review)
    header = next(line for line in text.splitlines() if line.startswith("Migration "))
    assert header.split()[:3] == ["Migration", "Risk", "Phase"]
    assert "pre-deploy" in text
    assert "| Phase |" in render_markdown(review)


def test_text_neutralises_terminal_escape_sequences() -> None:
    statement = StatementResult(index=0, sql="x", kind="OTHER", risk=Level.HIGH,
                                findings=[Finding("SR120", Level.HIGH, "evil \x1b[2J\x07 name")])
    review = Review(pg_version=14, sections=[Section(title="a\x1b]0;pwned\x07.sql",
                                                     analysis=SqlAnalysis(
                                                         file="a.sql", pg_version=14,
                                                         statements=[statement]))])
    text = render_text(review)
    assert "\x1b" not in text and "\x07" not in text
    assert "evil \ufffd[2J\ufffd name" in text


# --- Markdown -------------------------------------------------------------------------


def test_markdown_starts_with_the_verdict_and_a_summary_table() -> None:
    lines = render_markdown(_review()).splitlines()
    assert lines[0] == "### sqlreview: SQL risk"
    escaped = FILE.replace("_", "\\_")  # prose: Markdown punctuation is escaped
    assert lines[2] == ("**critical: `shop_order` rewritten under ACCESS EXCLUSIVE "
                        f"({escaped} line 6, SR101); 3 more statements at medium or above**")
    assert lines[4].startswith("sqlreview: 6 statements in 1 file, PostgreSQL 14 assumed:")
    assert lines[6].startswith("_sizes unknown: ")  # no --stats
    assert lines[8] == "| File | Risk | Findings |"
    assert lines[10].startswith(f"| `{FILE}` | **critical** |")


def test_markdown_tables_keep_their_columns() -> None:
    markdown = render_markdown(_review(), show=None)
    tables: list[list[str]] = [[]]
    for line in markdown.splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    tables = [table for table in tables if table]
    assert len(tables) == 2
    for table in tables:
        columns = table[0].count("|")
        for row in table:
            # '|' inside a cell is escaped, so every row has the header's columns.
            assert row.count("|") - row.count("\\|") == columns, row
    details = tables[1]
    assert len(details) == 2 + 4  # header, separator, every statement but BEGIN/COMMIT
    unparsed = next(row for row in details if row.startswith("| 3 |"))
    assert "SELECT a \\|\\| b FROM t WHERE" in unparsed
    assert unparsed.endswith("| SR001 |")
    assert "syntax error \\| at end of input" in markdown  # said once, under the heading
    update = next(row for row in details if row.startswith("| 2 |"))
    assert update.endswith("| SR116 SR202 |")


def test_markdown_folds_statements_and_sql_and_links_each_finding_once() -> None:
    markdown = render_markdown(_review())
    folded = markdown.split("<details><summary>4 statements at medium or above and the SQL"
                            "</summary>", 1)[1]
    assert "ALTER TABLE shop_order ADD COLUMN token uuid DEFAULT gen_random_uuid();" in folded
    assert "| 5 | 6 | **critical** |" in folded
    for code in ("SR001", "SR101", "SR116", "SR201", "SR202"):
        link = f"[{code}](https://sqlreview.readthedocs.io/en/latest/rules/{code}/)"
        assert markdown.count(link) == 1, code
        advice = rules.rule(code).instead.split(". ")[0]
        assert advice in markdown, code
    assert markdown.count("<details>") == markdown.count("</details>")


def test_markdown_draws_a_lock_timeline_for_a_risky_transaction() -> None:
    markdown = render_markdown(_review())
    block = markdown.split("```mermaid\n", 1)[1].split("```", 1)[0]
    lines = [line.strip() for line in block.splitlines()]
    assert lines[0] == "gantt"
    assert "dateFormat x" in lines and "axisFormat %s" in lines
    assert "ACCESS EXCLUSIVE shop_order :crit, 1000, 4000" in lines  # statements 1 to 4
    assert "section statements" in lines
    assert "2 UPDATE high :crit, 2000, 3000" in lines


# --- JSON ---------------------------------------------------------------------------------
# --- JSON ---------------------------------------------------------------------------------


def test_json_round_trips() -> None:
    review = _review()
    document = json.loads(render_json(review))
    assert document == json.loads(json.dumps(review.to_json()))
    assert document["schema_version"] == 1
    assert document["pg_version"] == 14
    assert document["summary"] == {"statements": 6, "critical": 1, "high": 1, "medium": 1,
                                   "low": 2, "unknown": 1, "suppressed": 0}
    statement = document["statements"][1]
    assert statement["locks"] == [{"relation": "shop_order", "mode": "AccessExclusiveLock",
                                   "held_until": 4}]
    assert statement["blocks"] == ["reads", "writes", "DDL"]
    assert statement["findings"] == [{"code": "SR201", "severity": "medium",
                                      "message": "no lock_timeout is set before locking "
                                                 "shop_order", "suppressed": None,
                                      "instead": None}]
    assert document["statements"][3]["risk"] == "unknown"
    assert document["files"] == [{"file": FILE, "holds": [
        {"relation": "shop_order", "mode": "AccessExclusiveLock", "acquired_at": 1,
         "released_at": 4, "held_through": [2, 3],
         "taken": [{"statement": 1, "mode": "AccessExclusiveLock"}],
         "estimated_seconds": None, "estimate_complete": True},
        {"relation": "shop_customer", "mode": "ShareLock", "acquired_at": 1,
         "released_at": 4, "held_through": [],
         "taken": [{"statement": 1, "mode": "ShareLock"}],
         "estimated_seconds": None, "estimate_complete": True},
    ]}]


def test_json_for_migrations_groups_statements_by_migration() -> None:
    review = _review(kind="migrations")
    review.sections[0].app, review.sections[0].name = "shop", "0002_order_coupon"
    review.settings = RunSettings(mode="replay")
    document = json.loads(render_json(review))
    assert "statements" not in document
    (migration,) = document["migrations"]
    assert (migration["app"], migration["name"]) == ("shop", "0002_order_coupon")
    assert len(migration["statements"]) == 6
    assert document["mode"] == "replay"
    assert document["schema_version"] == 1


# --- GitHub annotations -------------------------------------------------------------------


def test_github_annotations_worst_first_one_per_code() -> None:
    lines = render_github(_review()).splitlines()
    assert lines[0] == (f"::error file={FILE},line=6,title=sqlreview SR101 (critical)::"
                        "SR101 ADD COLUMN token (volatile default) rewrites shop_order")
    levels_and_lines = [(line.split(" ", 1)[0], line.split(",line=")[1].split(",")[0])
                        for line in lines]
    assert levels_and_lines == [("::error", "6"), ("::error", "3"), ("::error", "4"),
                                ("::warning", "2"), ("::warning", "3")]


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
    assert set(FORMATS) == {"text", "markdown", "json", "github", "sarif", "codequality"}
    for render in FORMATS.values():
        assert render(_review()).endswith("\n")


def test_reporters_do_not_need_pglast() -> None:
    """Import and run every reporter with pglast made unimportable."""
    script = textwrap.dedent("""
        import sys
        sys.modules["pglast"] = None  # any "import pglast" now raises ImportError
        from sqlreview.locking import LockMode
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


def test_trace_adds_a_measured_column() -> None:
    review = _review()
    review.settings.trace = True
    review.sections[0].statements[5].measured = Measurement(
        locks={"shop_order": LockMode.ACCESS_EXCLUSIVE}, rewrites=["shop_order"])
    text = render_text(review, options=WIDE)
    header = next(line for line in text.splitlines() if line.lstrip().startswith("#  "))
    assert header.split()[4:6] == ["Locks", "Measured"]
    assert "rewrote shop_order" in text and "as estimated" in text
    markdown = render_markdown(review)
    assert "| Statement | Lock | Traced | Findings |" in markdown
    assert "| ACCESS EXCLUSIVE | as estimated | SR101 |" in markdown


def test_a_long_statement_cell_keeps_the_verb_and_the_type() -> None:
    from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
    from sqlreview.report import cells

    analysis = analyze_sql(
        'ALTER TABLE "inventory_warehouse_stock_movement_history" ALTER COLUMN '
        '"quantity_adjustment_total" TYPE numeric(12,2) USING "quantity_adjustment_total"'
        '::numeric(12,2);', options=AnalyzerOptions(pg_version=14))
    cell = cells.what(analysis.statements[0], 70)
    assert len(cell) <= 70 and "…" in cell
    assert cell.startswith("ALTER TABLE inventory_warehouse")
    assert cell.rstrip().endswith("numeric(12,2)"), cell
