"""Parsing and accounting: statement rows, schema learning, type changes,
transactions and session settings, as the analyzer reports them."""

from __future__ import annotations

import pytest

from sqlreview.locking import LockMode
from sqlreview.pg.analyzer import Analyzer, AnalyzerOptions, analyze_sql
from sqlreview.pg.learn import schema_from_sql
from sqlreview.pg.parse import parse_statements
from sqlreview.results import Cost, Level
from tests.analyzer.helpers import SCHEMA, all_codes, analyze, codes, lock_modes, only

# --- statements, indexes, lines ---------------------------------------------------------


def test_indexes_count_statements_only() -> None:
    sql = """-- 0001_initial: a header comment

/* a block comment; with a semicolon */
ALTER TABLE shop_order ADD COLUMN coupon text;

;
-- Add field vip to customer
ALTER TABLE shop_customer ADD COLUMN vip boolean;;
-- a trailing comment only
"""
    analysis = analyze(sql)
    assert [s.index for s in analysis.statements] == [0, 1]
    assert [s.sql for s in analysis.statements] == [
        "ALTER TABLE shop_order ADD COLUMN coupon text",
        "ALTER TABLE shop_customer ADD COLUMN vip boolean",
    ]
    # Lines point at the statement, not at the comments before it.
    assert [s.line for s in analysis.statements] == [4, 8]


def test_empty_and_comment_only_inputs_have_no_statements() -> None:
    for sql in ("", "   \n\n", "-- nothing here\n", "/* nor here */", ";;;"):
        assert analyze(sql).statements == [], repr(sql)


def test_an_unparsable_statement_in_the_middle_gets_its_own_row() -> None:
    sql = """
ALTER TABLE shop_order ADD COLUMN coupon text;
ALTER TABLE shop_order ADD COLUMN;
CREATE INDEX shop_order_coupon_idx ON shop_order (coupon);
"""
    before, broken, after = analyze(sql).statements
    assert [before.index, broken.index, after.index] == [0, 1, 2]
    assert broken.error and "syntax error" in broken.error
    assert broken.risk is None
    assert broken.risk_label == "unknown"
    assert codes(broken) == {"SR001"}
    assert broken.sql == "ALTER TABLE shop_order ADD COLUMN"
    assert broken.line == 3
    # The statements around it are analysed as usual.
    assert before.error is None and lock_modes(before) == {"shop_order": "ACCESS EXCLUSIVE"}
    assert after.error is None and "SR107" in codes(after)
    assert after.line == 4


def test_the_fallback_splitter_respects_quotes_dollar_quotes_and_comments() -> None:
    sql = """
CREATE FUNCTION shop_touch() RETURNS trigger AS $$
BEGIN NEW.note := 'touched; again'; RETURN NEW; END;
$$ LANGUAGE plpgsql;
INSERT INTO shop_order (customer_id, total, status, placed_at)
    VALUES (1, 0, 'a;b', now());
SELEC broken;
UPDATE shop_order SET note = E'it\\'s; fine' WHERE id = 1; -- a comment; with a semicolon
DO $body$ BEGIN PERFORM 1; PERFORM 2; END $body$;
/* ; */ SELECT 1;
"""
    statements = analyze(sql).statements
    assert [s.kind for s in statements] == [
        "CREATE FUNCTION", "INSERT", "UNPARSED", "UPDATE", "DO", "SELECT"]
    assert [s.error is None for s in statements] == [True, True, False, True, True, True]
    assert statements[1].sql.endswith("VALUES (1, 0, 'a;b', now())")
    assert statements[3].sql == "UPDATE shop_order SET note = E'it\\'s; fine' WHERE id = 1"
    assert [s.line for s in statements] == [2, 5, 7, 8, 9, 10]


def test_an_unterminated_quote_does_not_break_the_statements_before_it() -> None:
    sql = """INSERT INTO shop_order (customer_id, total, status, placed_at)
    VALUES (1, 0, 'a;b', now());
CREATE FUNCTION shop_one() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
SELECT 'oops;
SELECT 2;
"""
    statements = parse_statements(sql)
    assert [s.node is not None for s in statements] == [True, True, False]
    assert statements[0].text.endswith("'a;b', now())")
    assert statements[2].error is not None and "unterminated" in statements[2].error


def test_a_thousand_statements_with_broken_ones_get_a_row_each() -> None:
    pieces = []
    for number in range(1000):
        if number % 10 == 3:
            pieces.append(f"ALTER TABLE shop_order ADD COLUMN;  -- broken {number}")
        elif number % 10 == 5:
            pieces.append(f"DO $$ BEGIN PERFORM {number}; END $$;")
        else:
            pieces.append(f"UPDATE shop_order SET note = 'n;{number}' WHERE id = {number};")
    statements = analyze("\n".join(pieces)).statements
    assert [s.index for s in statements] == list(range(1000))
    assert [s.line for s in statements] == list(range(1, 1001))
    assert sum(1 for s in statements if s.error) == 100
    assert all(codes(s) == {"SR001"} for s in statements if s.error)


def test_each_input_starts_from_a_clean_session() -> None:
    options = AnalyzerOptions(pg_version=18)
    first = analyze_sql("SET lock_timeout = '5s';\nBEGIN;\nCREATE TABLE shop_new (id int);",
                        options=options)
    assert "SR204" in codes(first.statements[1])
    second = analyze_sql("ALTER TABLE shop_new ADD COLUMN x int;", options=options)
    statement = only(second)
    assert not statement.in_transaction
    assert statement.new_relations == []
    assert "SR201" in codes(statement)


# --- schema learning within one input -------------------------------------------------


def test_a_table_created_earlier_in_the_input_is_new() -> None:
    sql = """
CREATE TABLE shop_coupon (id bigint PRIMARY KEY, code varchar(20), order_id bigint);
CREATE INDEX shop_coupon_code_idx ON shop_coupon (code);
ALTER TABLE shop_coupon ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE shop_coupon ALTER COLUMN code SET NOT NULL;
ALTER TABLE shop_coupon ADD CONSTRAINT shop_coupon_order_fk
    FOREIGN KEY (order_id) REFERENCES shop_order (id);
"""
    create, index, add_column, not_null, foreign_key = analyze(sql).statements
    for statement in (create, index, add_column, not_null):
        assert statement.new_relations == ["shop_coupon"], statement.sql
        assert statement.risk is Level.LOW, statement.sql
        assert codes(statement) == set(), statement.sql
        assert any("shop_coupon" in note for note in statement.notes)
    # The index build and the rewrite still happen, on an empty table.
    assert index.cost is Cost.INDEX_BUILD
    assert add_column.cost is Cost.REWRITE
    # The foreign key also locks shop_order, which existed before: that counts.
    assert lock_modes(foreign_key)["shop_order"] == "SHARE ROW EXCLUSIVE"
    assert "SR201" in codes(foreign_key)


def test_a_table_created_from_a_query_is_not_empty() -> None:
    sql = """BEGIN;
ALTER TABLE shop_customer ADD COLUMN vip boolean;
CREATE TABLE shop_order_copy AS SELECT * FROM shop_order;
CREATE INDEX shop_order_copy_status ON shop_order_copy (status);
COMMIT;"""
    _begin, _alter, copy, index, _commit = analyze(sql, assume_lock_timeout=True).statements
    assert "SR202" in codes(copy)  # the copy reads all of shop_order
    assert not any("empty" in note for note in copy.notes + index.notes)
    assert "SR202" in codes(index)


def test_tables_of_the_schema_file_are_not_new() -> None:
    statement = only(analyze("CREATE INDEX shop_order_placed_idx ON shop_order (placed_at);"))
    assert statement.new_relations == []
    assert {"SR107", "SR201"} <= codes(statement)
    assert statement.risk is Level.HIGH


def test_without_a_schema_every_table_is_assumed_to_exist() -> None:
    statement = only(analyze("CREATE INDEX t_c_idx ON t (c);", schema=None))
    assert statement.new_relations == []
    assert "SR107" in codes(statement)


def test_columns_added_in_the_input_are_known_to_later_statements() -> None:
    sql = """
ALTER TABLE shop_order ADD COLUMN code varchar(10);
ALTER TABLE shop_order ALTER COLUMN code TYPE varchar(20);
"""
    widen = analyze(sql).statements[1]
    assert widen.cost is Cost.METADATA
    assert "SR103" not in codes(widen)


def test_set_not_null_on_a_column_that_already_is_not_null_does_not_scan() -> None:
    """Manual, ALTER TABLE SET NOT NULL: the scan proves there is no NULL; a
    column that is already NOT NULL has nothing to prove (tablecmds.c returns
    early)."""
    statement = only(analyze("ALTER TABLE shop_customer ALTER COLUMN email SET NOT NULL;"))
    assert statement.cost is Cost.METADATA
    assert statement.scans == []
    assert "SR104" not in codes(statement)


# --- type changes judged from the schema ------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "rewrites"),
    [
        pytest.param("ALTER TABLE shop_customer ALTER COLUMN name TYPE varchar(200)", False,
                     id="varchar-widened"),
        pytest.param('ALTER TABLE "shop_customer" ALTER COLUMN "name" TYPE varchar(200) '
                     'USING "name"::varchar(200)', False, id="varchar-widened-django"),
        pytest.param("ALTER TABLE shop_customer ALTER COLUMN name TYPE varchar(50)", True,
                     id="varchar-narrowed"),
        pytest.param("ALTER TABLE shop_customer ALTER COLUMN name TYPE text", False,
                     id="varchar-to-text"),
        pytest.param("ALTER TABLE shop_customer ALTER COLUMN age TYPE bigint", True,
                     id="int-to-bigint"),
        pytest.param('ALTER TABLE "shop_customer" ALTER COLUMN "age" TYPE bigint '
                     'USING "age"::bigint', True, id="int-to-bigint-django"),
        pytest.param("ALTER TABLE shop_order ALTER COLUMN total TYPE numeric(12, 2)", False,
                     id="numeric-precision-up"),
        pytest.param("ALTER TABLE shop_order ALTER COLUMN total TYPE numeric(10, 3)", True,
                     id="numeric-scale-changed"),
        pytest.param("ALTER TABLE shop_customer ALTER COLUMN bio TYPE varchar(500)", True,
                     id="text-to-varchar"),
    ],
)
def test_type_change_judged_from_the_schema(sql: str, rewrites: bool) -> None:
    """Manual, ALTER TABLE Notes: no rewrite when the old type is binary coercible
    to the new one and the new length/precision cannot fail (varchar widened or
    made text, numeric precision raised with the same scale); otherwise the table
    and its indexes are rebuilt."""
    statement = only(analyze(sql + ";"))
    assert lock_modes(statement)[next(iter(lock_modes(statement)))] == "ACCESS EXCLUSIVE"
    if rewrites:
        assert statement.cost is Cost.REWRITE
        assert statement.rewrites == [statement.locks[0].relation]
        assert "SR103" in codes(statement)
        assert statement.risk is Level.CRITICAL
    else:
        assert statement.cost is Cost.METADATA
        assert statement.rewrites == []
        assert "SR103" not in codes(statement)


def test_unknown_old_type_is_assumed_to_rewrite_with_a_note() -> None:
    for schema_given, sql in (
        (True, "ALTER TABLE shop_customer ALTER COLUMN no_such_column TYPE text;"),
        (False, "ALTER TABLE t ALTER COLUMN c TYPE text;"),
    ):
        statement = only(analyze(sql) if schema_given else analyze(sql, schema=None))
        assert statement.cost is Cost.REWRITE
        assert "SR103" in codes(statement)
        assert any("unknown" in note and "--schema" in note for note in statement.notes)


def test_a_real_using_expression_converts_every_row() -> None:
    statement = only(analyze(
        "ALTER TABLE shop_customer ALTER COLUMN age TYPE text USING age::text || ' years';"))
    assert statement.cost is Cost.REWRITE
    assert any("USING" in note for note in statement.notes)


# --- transactions ------------------------------------------------------------------------

_MIGRATION = """BEGIN;
ALTER TABLE shop_order ADD COLUMN coupon text;
UPDATE shop_order SET coupon = '' WHERE id BETWEEN 1 AND 10000;
CREATE INDEX CONCURRENTLY shop_order_coupon_idx ON shop_order (coupon);
COMMIT;
ALTER TABLE shop_customer ADD COLUMN vip boolean;
"""


def test_locks_are_held_until_commit() -> None:
    analysis = analyze(_MIGRATION)
    _begin, add_column, update, concurrently, commit, after = analysis.statements
    assert add_column.locks[0].held_until == commit.index == 4
    assert all(lock.held_until == 4 for s in (update, concurrently) for lock in s.locks)
    assert all(lock.held_until is None for lock in after.locks)
    assert [s.in_transaction for s in analysis.statements] == [
        True, True, True, True, True, False]


def test_holds_list_the_statements_held_through() -> None:
    analysis = analyze(_MIGRATION)
    assert len(analysis.holds) == 1
    hold = analysis.holds[0]
    assert (hold.relation, hold.mode) == ("shop_order", LockMode.ACCESS_EXCLUSIVE)
    assert (hold.acquired_at, hold.released_at) == (1, 4)
    assert hold.held_through == [2, 3]


def test_a_slow_statement_after_an_access_exclusive_lock_is_sr202() -> None:
    analysis = analyze(_MIGRATION, assume_lock_timeout=True)
    _, add_column, update, _concurrently, _, after = analysis.statements
    assert "SR202" not in codes(add_column)
    assert "SR202" in codes(update)
    sr202 = next(f for f in update.findings if f.code == "SR202")
    assert "shop_order" in sr202.message and "ACCESS EXCLUSIVE" in sr202.message
    assert update.risk is Level.HIGH
    assert "SR202" not in codes(after)


def test_a_fast_statement_after_an_access_exclusive_lock_is_not_sr202() -> None:
    sql = """BEGIN;
ALTER TABLE shop_order ADD COLUMN coupon text;
ALTER TABLE shop_order ALTER COLUMN coupon SET DEFAULT '';
COMMENT ON COLUMN shop_order.coupon IS 'promotion code';
CREATE INDEX CONCURRENTLY shop_order_coupon_idx ON shop_order (coupon);
COMMIT;"""
    analysis = analyze(sql)
    assert [("SR202" in codes(s)) for s in analysis.statements] == [
        False, False, False, False, True, False]


def test_a_one_row_change_after_an_access_exclusive_lock_is_not_sr202() -> None:
    sql = """BEGIN;
ALTER TABLE shop_order ADD COLUMN coupon text;
UPDATE shop_customer SET name = 'Ada' WHERE id = 1;
INSERT INTO shop_customer (email, name, joined) VALUES ('ada@example.com', 'Ada', now());
COMMIT;"""
    analysis = analyze(sql)
    update = analysis.statements[2]
    assert update.scans == []  # the primary key pins the row: no full scan
    assert "SR202" not in all_codes(analysis)


def test_create_index_concurrently_inside_begin_is_sr203() -> None:
    analysis = analyze(_MIGRATION)
    concurrently = analysis.statements[3]
    assert "SR203" in codes(concurrently)
    assert concurrently.risk is Level.CRITICAL
    sr203 = next(f for f in concurrently.findings if f.code == "SR203")
    assert "statement 0" in sr203.message  # the BEGIN that opened the transaction
    outside = only(analyze("CREATE INDEX CONCURRENTLY shop_order_coupon_idx "
                           "ON shop_order (status);"))
    assert "SR203" not in codes(outside)


def test_an_unclosed_begin_is_sr204() -> None:
    analysis = analyze("BEGIN;\nALTER TABLE shop_order ADD COLUMN coupon text;\n")
    begin = analysis.statements[0]
    assert "SR204" in codes(begin)
    assert analysis.holds[0].released_at is None
    closed = analyze("BEGIN;\nALTER TABLE shop_order ADD COLUMN coupon text;\nCOMMIT;\n")
    assert "SR204" not in all_codes(closed)


def test_rollback_ends_the_transaction_too() -> None:
    analysis = analyze("BEGIN;\nALTER TABLE shop_order ADD COLUMN coupon text;\nROLLBACK;\n"
                       "CREATE INDEX CONCURRENTLY i ON shop_order (status);")
    assert analysis.statements[1].locks[0].held_until == 2
    assert "SR203" not in codes(analysis.statements[3])
    assert "SR204" not in all_codes(analysis)


def test_a_second_begin_is_noted_and_does_not_open_a_new_transaction() -> None:
    analysis = analyze("BEGIN;\nBEGIN;\nALTER TABLE shop_order ADD COLUMN c text;\nCOMMIT;")
    assert any("already inside a transaction" in n for n in analysis.statements[1].notes)
    assert analysis.statements[2].locks[0].held_until == 3
    assert "SR204" not in all_codes(analysis)


# --- lock_timeout ------------------------------------------------------------------------

_ALTER = "ALTER TABLE shop_order ADD COLUMN c{n} text;"


def _sr201_by_alter(sql: str) -> list[bool]:
    return [("SR201" in codes(s)) for s in analyze(sql).statements
            if s.sql.startswith("ALTER TABLE")]


def test_set_lock_timeout_switches_sr201_off_and_reset_on() -> None:
    sql = "\n".join([
        _ALTER.format(n=0),
        "SET lock_timeout = '5s';", _ALTER.format(n=1),
        "RESET lock_timeout;", _ALTER.format(n=2),
        "SET lock_timeout TO 5000;", _ALTER.format(n=3),
        "SET lock_timeout = 0;", _ALTER.format(n=4),
        "SET lock_timeout = '2s';", "RESET ALL;", _ALTER.format(n=5),
        "SET lock_timeout = '2s';", "SET lock_timeout TO DEFAULT;", _ALTER.format(n=6),
    ])
    assert _sr201_by_alter(sql) == [True, False, True, False, True, True, True]


def test_set_local_lock_timeout_ends_at_commit() -> None:
    sql = "\n".join([
        "BEGIN;", "SET LOCAL lock_timeout = '5s';", _ALTER.format(n=0), "COMMIT;",
        _ALTER.format(n=1),
    ])
    assert _sr201_by_alter(sql) == [False, True]


def test_set_local_outside_a_transaction_has_no_effect() -> None:
    """Manual, SET: "Issuing this outside of a transaction block emits a warning
    and otherwise has no effect"."""
    sql = "SET LOCAL lock_timeout = '5s';\n" + _ALTER.format(n=0)
    assert _sr201_by_alter(sql) == [True]


def test_session_lock_timeout_survives_commit() -> None:
    sql = "\n".join(["BEGIN;", "SET lock_timeout = '5s';", "COMMIT;", _ALTER.format(n=0)])
    assert _sr201_by_alter(sql) == [False]


def test_set_in_a_rolled_back_transaction_is_undone() -> None:
    """Manual, SET: "If SET (or equivalently SET SESSION) is issued within a
    transaction that is later aborted, the effects of the SET command disappear
    when the transaction is rolled back"."""
    sql = "\n".join(["BEGIN;", "SET lock_timeout = '5s';", "ROLLBACK;", _ALTER.format(n=0)])
    assert _sr201_by_alter(sql) == [True]


def test_assume_lock_timeout_option_turns_sr201_off() -> None:
    analysis = analyze(_MIGRATION + "DROP INDEX shop_order_status_idx;",
                       assume_lock_timeout=True)
    assert "SR201" not in all_codes(analysis)
    # ... and nothing else: the other findings are still there.
    assert {"SR202", "SR203", "SR109"} <= all_codes(analysis)
    assert "SR201" in all_codes(analyze(_MIGRATION))


def test_sr201_only_for_locks_that_block_traffic() -> None:
    weak = analyze("""
CREATE INDEX CONCURRENTLY shop_order_placed_idx ON shop_order (placed_at);
ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_pkey;
UPDATE shop_order SET note = '' WHERE id = 1;
SELECT count(*) FROM shop_order;
ANALYZE shop_order;
""")
    assert "SR201" not in all_codes(weak)


def test_analyzer_feeds_keep_state_between_calls() -> None:
    """The Django pipeline feeds one statement at a time into one Analyzer."""
    analyzer = Analyzer(AnalyzerOptions(pg_version=18))
    analyzer.feed("BEGIN")
    analyzer.feed("CREATE TABLE shop_tag (id int)")
    analyzer.feed("CREATE INDEX shop_tag_id ON shop_tag (id)", operation="AddIndex")
    analyzer.feed("COMMIT")
    analysis = analyzer.finish()
    assert [s.index for s in analysis.statements] == [0, 1, 2, 3]
    index = analysis.statements[2]
    assert index.operation == "AddIndex"
    assert index.new_relations == ["shop_tag"]
    assert index.locks[0].held_until == 3


_SR202_SCHEMA = """
CREATE TABLE library_member (id bigint PRIMARY KEY);
CREATE TABLE library_book (id bigint PRIMARY KEY);
CREATE TABLE shop_order (id bigint PRIMARY KEY, member_id bigint, status text);
CREATE INDEX shop_order_member_id_idx ON shop_order (member_id);
CREATE TABLE shop_orderline (id bigint PRIMARY KEY, quantity integer);
"""


def test_sr202_is_one_finding_per_statement_naming_every_lock_it_extends() -> None:
    schema = schema_from_sql(_SR202_SCHEMA)
    analysis = analyze(schema=schema, sql="""BEGIN;
ALTER TABLE shop_order ADD CONSTRAINT shop_order_member_fk FOREIGN KEY (member_id)
    REFERENCES library_member (id) NOT VALID;
ALTER TABLE shop_order ALTER COLUMN status SET DEFAULT 'x';
LOCK TABLE library_book IN ACCESS EXCLUSIVE MODE;
DROP INDEX shop_order_member_id_idx;
UPDATE shop_orderline SET quantity = quantity + 1;
COMMIT;""")
    update = analysis.statements[5]
    sr202 = [f for f in update.findings if f.code == "SR202"]
    assert len(sr202) == 1
    for table in ("shop_order", "library_member", "library_book"):
        assert table in sr202[0].message
    # the index is gone: its lock adds nothing to shop_order's
    assert "shop_order_member_id_idx" not in sr202[0].message
    # which statement took which mode
    assert "SHARE ROW EXCLUSIVE at #1, ACCESS EXCLUSIVE at #2" in sr202[0].message
    order = next(h for h in analysis.holds if h.relation == "shop_order")
    assert order.taken_text == "SHARE ROW EXCLUSIVE at #1, ACCESS EXCLUSIVE at #2"


_SMALL_SCHEMA = """
CREATE TABLE shop_item (id bigint PRIMARY KEY, owner_id bigint, n integer);
CREATE INDEX shop_item_owner_concurrent ON shop_item (owner_id, n);
"""


def test_an_unnamed_inline_check_is_add_check_not_check_check() -> None:
    analysis = analyze(schema=schema_from_sql(_SMALL_SCHEMA),
                       sql="ALTER TABLE shop_item ADD COLUMN m integer NOT NULL CHECK (m >= 0);")
    messages = [f.message for f in analysis.statements[0].findings]
    assert any("inline CHECK of column m reads every row of shop_item" in message
               for message in messages), messages
    assert not any("CHECK CHECK" in message for message in messages)


def test_a_plain_create_table_is_new_and_empty_not_filled_from_a_query() -> None:
    analysis = analyze("CREATE TABLE fresh (id int); CREATE TABLE copied AS SELECT 1 AS id;")
    fresh, copied = analysis.statements
    assert fresh.notes == ["created in this input, empty and unused: fresh"]
    assert any("from a query" in note for note in copied.notes)


def test_an_index_another_index_already_covers_suggests_db_index_false() -> None:
    analysis = analyze(schema=schema_from_sql(_SMALL_SCHEMA), sql=(
        'CREATE INDEX "shop_item_owner_id_5a1b" ON "shop_item" ("owner_id");'
        'CREATE INDEX "shop_item_n_idx" ON "shop_item" ("n");'))
    covered, other = (next(f for f in s.findings if f.code == "SR107")
                      for s in analysis.statements)
    assert "shop_item_owner_concurrent already covers these columns" in covered.message
    assert "db_index=False" in covered.message
    assert "db_index" not in other.message


# --- tables created empty in the input ---------------------------------------------------

_EMPTY_CHILD = """BEGIN;
CREATE TABLE shop_note (id bigint PRIMARY KEY, order_id bigint REFERENCES shop_order (id));
COMMIT;
BEGIN;
"""


def test_no_foreign_key_check_for_rows_of_a_table_created_empty() -> None:
    analysis = analyze(_EMPTY_CHILD + """UPDATE shop_note SET order_id = 2;
DELETE FROM shop_note;
CREATE TABLE shop_parent (id bigint PRIMARY KEY);
ALTER TABLE shop_order ADD COLUMN parent_id bigint REFERENCES shop_parent (id);
COMMIT;
BEGIN;
DELETE FROM shop_parent WHERE id = 1;
COMMIT;""")
    update, delete_child = analysis.statements[4:6]
    assert lock_modes(update) == {"shop_note": "ROW EXCLUSIVE"}
    assert lock_modes(delete_child) == {"shop_note": "ROW EXCLUSIVE"}
    delete_parent = analysis.statements[-2]
    assert lock_modes(delete_parent) == {"shop_parent": "ROW EXCLUSIVE"}


def test_rows_inserted_or_code_unseen_make_the_foreign_key_checked_again() -> None:
    inserted = analyze(_EMPTY_CHILD + """INSERT INTO shop_note VALUES (1, 1);
UPDATE shop_note SET order_id = 2;
COMMIT;""")
    assert lock_modes(inserted.statements[-2])["shop_order"] == "ROW SHARE"
    analyzer = Analyzer(AnalyzerOptions(pg_version=18), schema=schema_from_sql(SCHEMA))
    analyzer.feed(_EMPTY_CHILD)
    analyzer.feed_opaque("RunPython fill")
    [update] = analyzer.feed("UPDATE shop_note SET order_id = 2")
    assert lock_modes(update)["shop_order"] == "ROW SHARE"


def test_insert_select_from_a_table_created_empty_checks_nothing() -> None:
    analysis = analyze(_EMPTY_CHILD + """CREATE TABLE shop_import (order_id bigint);
INSERT INTO shop_note (id, order_id) SELECT 1, order_id FROM shop_import;
INSERT INTO shop_note (id, order_id) SELECT count(*), 1 FROM shop_import;
COMMIT;""")
    from_empty, aggregate = analysis.statements[5:7]
    assert "shop_order" not in lock_modes(from_empty)
    assert lock_modes(aggregate)["shop_order"] == "ROW SHARE"  # count(*) yields a row


def test_slow_work_on_a_table_created_empty_is_not_sr202() -> None:
    sql = """BEGIN;
CREATE TABLE shop_device (id bigint PRIMARY KEY, note text);
ALTER TABLE shop_device ADD COLUMN spare_id bigint
    CONSTRAINT shop_device_spare_fk REFERENCES shop_order (id);
ALTER TABLE shop_device ADD COLUMN order_id bigint NOT NULL
    CONSTRAINT shop_device_order_fk REFERENCES shop_order (id);
CREATE INDEX shop_device_order_idx ON shop_device (order_id);
CREATE INDEX shop_order_note_idx ON shop_order (note);
COMMIT;"""
    analysis = analyze(sql, assume_lock_timeout=True)
    flagged = [s.sql for s in analysis.statements if "SR202" in codes(s)]
    # shop_order is locked from #2 on; #3 validates its key by reading the new,
    # empty shop_device: only the index on shop_order reads rows.
    assert analysis.statements[3].scans == ["shop_device"]
    assert flagged == ["CREATE INDEX shop_order_note_idx ON shop_order (note)"]
