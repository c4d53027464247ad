"""Version-dependent behaviour that the PostgreSQL 18 test server cannot show.

The real-server harness (tests/truth) only runs on PostgreSQL 18, so what older
versions do is tested here against the documented behaviour: each test's
docstring cites the release notes or manual page it follows. These tests use
the analyzer only; none of them needs a server.

The last part checks the knowledge table itself: every row bounded by
``since``/``until`` must stop applying on the other side of its boundary.
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from sqlreview.pg import knowledge
from sqlreview.pg.knowledge import Entry
from sqlreview.results import Cost, Level
from tests.analyzer.helpers import analyze, codes, lock_modes, only


def _mentions_version(texts: list[str], version: int) -> bool:
    return any(re.search(rf"\b{version}\b", text) for text in texts)


# --- ADD COLUMN with a constant default ---------------------------------------------


def test_add_column_constant_default_rewrites_before_11() -> None:
    """PostgreSQL 10, ALTER TABLE Notes: "Adding a column with a DEFAULT clause ...
    requires the entire table and its indexes to be rewritten." """
    statement = only(analyze("ALTER TABLE shop_order ADD COLUMN priority integer DEFAULT 0;",
                             pg_version=10))
    assert statement.cost is Cost.REWRITE
    assert statement.rewrites == ["shop_order"]
    assert "SR101" in codes(statement)
    assert statement.risk is Level.CRITICAL


def test_add_column_constant_default_is_metadata_only_from_11() -> None:
    """PostgreSQL 11 release notes: "Allow ALTER TABLE to add a column with a
    non-null default without doing a table rewrite" (when the default is not
    volatile)."""
    for version in (11, 14, 18):
        statement = only(analyze(
            "ALTER TABLE shop_order ADD COLUMN priority integer DEFAULT 0 NOT NULL;",
            pg_version=version))
        assert statement.cost is Cost.METADATA, version
        assert statement.rewrites == []
        assert "SR101" not in codes(statement)


@pytest.mark.parametrize("version", [10, 11, 18])
def test_add_column_volatile_default_rewrites_on_every_version(version: int) -> None:
    """PostgreSQL 11 release notes: the no-rewrite default does not apply to
    volatile defaults such as clock_timestamp() or random(); each row gets its own value."""
    statement = only(analyze(
        "ALTER TABLE shop_order ADD COLUMN seen timestamptz DEFAULT clock_timestamp();",
        pg_version=version))
    assert statement.cost is Cost.REWRITE
    assert "SR101" in codes(statement)


# --- SET NOT NULL proven by a CHECK ------------------------------------------------------

_PROVEN_NOT_NULL = """
ALTER TABLE shop_order ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;
ALTER TABLE shop_order VALIDATE CONSTRAINT note_nn;
ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;
"""


def test_set_not_null_scans_before_12_even_with_a_valid_check() -> None:
    """PostgreSQL 11 ALTER TABLE: SET NOT NULL "can only be applied to a column
    provided none of the records in the table contain a NULL value": it scans
    the table, whatever constraints exist."""
    set_not_null = analyze(_PROVEN_NOT_NULL, pg_version=11).statements[2]
    assert set_not_null.cost is Cost.SCAN
    assert set_not_null.scans == ["shop_order"]
    assert "SR104" in codes(set_not_null)


def test_set_not_null_skips_the_scan_from_12_with_a_valid_check() -> None:
    """PostgreSQL 12 release notes: "Allow ALTER TABLE ... SET NOT NULL to avoid
    unnecessary table scans ... when the table's column constraints can be
    recognized as disallowing nulls." (manual, ALTER TABLE: "if a valid CHECK
    constraint exists ... the table scan is skipped")."""
    set_not_null = analyze(_PROVEN_NOT_NULL, pg_version=12).statements[2]
    assert set_not_null.cost is Cost.METADATA
    assert set_not_null.scans == []
    assert "SR104" not in codes(set_not_null)


def test_set_not_null_still_scans_on_12_when_the_check_is_not_validated() -> None:
    """PostgreSQL 12 ALTER TABLE: only a *valid* CHECK constraint lets SET NOT NULL
    skip the scan; a NOT VALID one proves nothing about existing rows."""
    sql = """
    ALTER TABLE shop_order ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;
    ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;
    """
    set_not_null = analyze(sql, pg_version=12).statements[1]
    assert set_not_null.cost is Cost.SCAN
    assert "SR104" in codes(set_not_null)


# --- partitions ------------------------------------------------------------------------

_ATTACH = ("ALTER TABLE shop_event ATTACH PARTITION shop_event_2025 "
           "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');")


def test_attach_partition_locks_the_parent_access_exclusive_before_12() -> None:
    """PostgreSQL 11 ALTER TABLE: ATTACH PARTITION takes ACCESS EXCLUSIVE on the
    partitioned table (no reduced lock level is documented before 12)."""
    statement = only(analyze(_ATTACH, pg_version=11))
    assert lock_modes(statement) == {"shop_event": "ACCESS EXCLUSIVE",
                                     "shop_event_2025": "ACCESS EXCLUSIVE"}
    assert "reads" in statement.blocks


def test_attach_partition_takes_share_update_exclusive_on_the_parent_from_12() -> None:
    """PostgreSQL 12 release notes: "Allow ATTACH PARTITION to be performed with
    reduced locking requirements"; manual (ALTER TABLE, ATTACH PARTITION): "only
    a SHARE UPDATE EXCLUSIVE lock on the parent table". The partition itself is
    still locked ACCESS EXCLUSIVE and scanned to check the bound."""
    for version in (12, 18):
        statement = only(analyze(_ATTACH, pg_version=version))
        assert lock_modes(statement) == {"shop_event": "SHARE UPDATE EXCLUSIVE",
                                         "shop_event_2025": "ACCESS EXCLUSIVE"}
        assert statement.scans == ["shop_event_2025"]
        assert "SR114" in codes(statement)


_DETACH = "ALTER TABLE shop_event DETACH PARTITION shop_event_2024"


def test_detach_partition_concurrently_from_14() -> None:
    """PostgreSQL 14 release notes: "Add ability to detach partitions
    concurrently (ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY)"; manual:
    it takes SHARE UPDATE EXCLUSIVE on the parent and "cannot be run in a
    transaction block"."""
    statement = only(analyze(f"{_DETACH} CONCURRENTLY;", pg_version=14))
    assert lock_modes(statement)["shop_event"] == "SHARE UPDATE EXCLUSIVE"
    assert "SR113" not in codes(statement)
    in_block = analyze(f"BEGIN;\n{_DETACH} CONCURRENTLY;\nCOMMIT;", pg_version=14)
    assert "SR203" in codes(in_block.statements[1])


def test_sr113_suggests_concurrently_only_where_it_exists() -> None:
    """SR113's advice (DETACH ... CONCURRENTLY) needs PostgreSQL 14 (release notes
    14): on 13 a plain DETACH has no better alternative to suggest."""
    assert "SR113" not in codes(only(analyze(f"{_DETACH};", pg_version=13)))
    assert "SR113" in codes(only(analyze(f"{_DETACH};", pg_version=14)))
    for version in (13, 14):
        plain = only(analyze(f"{_DETACH};", pg_version=version))
        assert lock_modes(plain)["shop_event"] == "ACCESS EXCLUSIVE"


# --- REINDEX CONCURRENTLY ----------------------------------------------------------------


def test_reindex_concurrently_from_12() -> None:
    """PostgreSQL 12 release notes: "Add REINDEX CONCURRENTLY option to allow
    reindexing without locking out writes"; manual (REINDEX): SHARE UPDATE
    EXCLUSIVE, and it cannot run inside a transaction block."""
    statement = only(analyze("REINDEX INDEX CONCURRENTLY shop_order_status_idx;",
                             pg_version=12))
    assert "writes" not in statement.blocks
    assert "SR112" not in codes(statement)
    in_block = analyze("BEGIN;\nREINDEX TABLE CONCURRENTLY shop_order;\nCOMMIT;", pg_version=12)
    assert "SR203" in codes(in_block.statements[1])


def test_plain_reindex_blocks_writes_on_every_version() -> None:
    """Manual, REINDEX: a plain REINDEX locks out writes (SHARE on the table)."""
    for version in (11, 12, 18):
        statement = only(analyze("REINDEX INDEX shop_order_status_idx;", pg_version=version))
        assert lock_modes(statement)["shop_order"] == "SHARE"
        assert "SR112" in codes(statement)


_NEWER_SYNTAX = [
    pytest.param("REINDEX INDEX CONCURRENTLY shop_order_status_idx;", 11, 12,
                 id="reindex-concurrently-on-11"),
    pytest.param(f"{_DETACH} CONCURRENTLY;", 13, 14, id="detach-concurrently-on-13"),
    pytest.param("ALTER TABLE shop_order ADD COLUMN total_tax numeric "
                 "GENERATED ALWAYS AS (total * 1.2) VIRTUAL;", 17, 18,
                 id="virtual-generated-on-17"),
    pytest.param("ALTER TABLE shop_order ADD CONSTRAINT total_positive CHECK (total >= 0) "
                 "NOT ENFORCED;", 17, 18, id="not-enforced-on-17"),
    pytest.param("MERGE INTO shop_order o USING shop_customer c ON o.customer_id = c.id "
                 "WHEN MATCHED THEN UPDATE SET note = c.name;", 14, 15, id="merge-on-14"),
]


@pytest.mark.parametrize(("sql", "version", "since"), _NEWER_SYNTAX)
def test_syntax_newer_than_the_target_version_is_flagged(sql: str, version: int,
                                                          since: int) -> None:
    """Release notes of ``since``: the syntax does not exist before it, so on
    ``version`` Postgres rejects the statement and the migration fails. The
    report must say so (naming the version that has it), not judge it as safe."""
    statement = only(analyze(sql, pg_version=version))
    texts = statement.notes + [f.message for f in statement.findings]
    assert _mentions_version(texts, since), texts
    assert statement.risk is None or statement.risk >= Level.HIGH


# --- ALTER TYPE ... ADD VALUE --------------------------------------------------------


def test_enum_add_value_cannot_run_in_a_transaction_before_12() -> None:
    """PostgreSQL 11 ALTER TYPE: "ALTER TYPE ... ADD VALUE (the form that adds a
    new value to an enum type) cannot be executed inside a transaction block." """
    analysis = analyze("BEGIN;\nALTER TYPE shop_mood ADD VALUE 'happy';\nCOMMIT;", pg_version=11)
    add_value = analysis.statements[1]
    assert "SR203" in codes(add_value)
    assert add_value.risk is Level.CRITICAL
    # Outside a transaction block it is fine on 11 too.
    assert "SR203" not in codes(only(analyze("ALTER TYPE shop_mood ADD VALUE 'happy';",
                                             pg_version=11)))


def test_enum_add_value_runs_in_a_transaction_from_12() -> None:
    """PostgreSQL 12 release notes: "Allow ALTER TYPE ... ADD VALUE to be run
    inside a transaction block" (the new value cannot be used until COMMIT)."""
    analysis = analyze("BEGIN;\nALTER TYPE shop_mood ADD VALUE 'happy';\nCOMMIT;", pg_version=12)
    assert "SR203" not in codes(analysis.statements[1])
    assert analysis.statements[1].locks == []


# --- timestamp to timestamptz ------------------------------------------------------------

_TO_TIMESTAMPTZ = "ALTER TABLE shop_customer ALTER COLUMN joined TYPE timestamptz;"


@pytest.mark.parametrize("set_time_zone", ["SET TimeZone = 'UTC';", "SET TIME ZONE 'UTC';",
                                           "SET timezone TO 'Etc/UTC';"])
def test_timestamp_to_timestamptz_is_metadata_only_from_12_in_utc(set_time_zone: str) -> None:
    """PostgreSQL 12 release notes: "Allow ALTER TABLE ... SET DATA TYPE changing
    between timestamp and timestamptz to avoid a table rewrite when the session
    time zone is UTC"."""
    change = analyze(f"{set_time_zone}\n{_TO_TIMESTAMPTZ}", pg_version=12).statements[1]
    assert change.cost is Cost.METADATA
    assert change.rewrites == []
    assert "SR103" not in codes(change)


def test_timestamp_to_timestamptz_rewrites_in_another_time_zone() -> None:
    """PostgreSQL 12 release notes (as above): the rewrite is skipped only in UTC;
    in another zone every stored value changes. Without a SET, the server's zone
    is unknown, so a rewrite is assumed."""
    in_paris = analyze(f"SET timezone TO 'Europe/Paris';\n{_TO_TIMESTAMPTZ}", pg_version=18)
    assert in_paris.statements[1].cost is Cost.REWRITE
    unknown = only(analyze(_TO_TIMESTAMPTZ, pg_version=18))
    assert unknown.cost is Cost.REWRITE
    assert "SR103" in codes(unknown)
    assert any("UTC" in note for note in unknown.notes)


def test_timestamp_to_timestamptz_rewrites_before_12_even_in_utc() -> None:
    """PostgreSQL 11: the timestamp/timestamptz optimisation does not exist yet
    (added in 12, see the 12 release notes): the table is rewritten."""
    change = analyze(f"SET TimeZone = 'UTC';\n{_TO_TIMESTAMPTZ}", pg_version=11).statements[1]
    assert change.cost is Cost.REWRITE
    assert "SR103" in codes(change)


def test_time_zone_set_back_to_another_zone_rewrites_again() -> None:
    """The session's TimeZone is the last one SET (manual, SET)."""
    sql = f"SET TimeZone = 'UTC';\nSET TimeZone = 'America/New_York';\n{_TO_TIMESTAMPTZ}"
    assert analyze(sql, pg_version=18).statements[2].cost is Cost.REWRITE


_SET_LOCAL_TIME_ZONE = (
    "bug: the analyzer's session treats SET LOCAL TimeZone like SET TimeZone: it is kept after "
    "COMMIT/ROLLBACK and applied even outside a transaction block (where SET LOCAL has no "
    "effect), so a later timestamp -> timestamptz change is wrongly judged metadata only "
    "(lock_timeout gets this right)"
)


def test_set_local_time_zone_ends_at_commit() -> None:
    """Manual, SET: "The effects of SET LOCAL last only till the end of the current
    transaction"; after it the server's zone is back, which sqlreview cannot know."""
    sql = f"BEGIN;\nSET LOCAL TimeZone = 'UTC';\nCOMMIT;\n{_TO_TIMESTAMPTZ}"
    assert analyze(sql, pg_version=18).statements[3].cost is Cost.REWRITE


def test_set_local_time_zone_outside_a_transaction_has_no_effect() -> None:
    """Manual, SET LOCAL: "Issuing this outside of a transaction block emits a
    warning and otherwise has no effect"."""
    sql = f"SET LOCAL TimeZone = 'UTC';\n{_TO_TIMESTAMPTZ}"
    assert analyze(sql, pg_version=18).statements[1].cost is Cost.REWRITE


def test_set_local_time_zone_applies_inside_its_transaction() -> None:
    """Manual, SET LOCAL: in effect until the end of the current transaction."""
    sql = f"BEGIN;\nSET LOCAL TimeZone = 'UTC';\n{_TO_TIMESTAMPTZ}\nCOMMIT;"
    assert analyze(sql, pg_version=18).statements[2].cost is Cost.METADATA


# --- ALTER INDEX RENAME ---------------------------------------------------------------


def test_index_rename_lock_is_share_update_exclusive_from_12() -> None:
    """PostgreSQL 12 release notes: "Reduce locking requirements for index
    renaming" (SHARE UPDATE EXCLUSIVE on the index, manual ALTER INDEX); before
    12, RENAME took ACCESS EXCLUSIVE."""
    sql = "ALTER INDEX shop_order_status_idx RENAME TO shop_order_state_idx;"
    assert lock_modes(only(analyze(sql, pg_version=11))) == {
        "shop_order_status_idx": "ACCESS EXCLUSIVE"}
    assert lock_modes(only(analyze(sql, pg_version=12))) == {
        "shop_order_status_idx": "SHARE UPDATE EXCLUSIVE"}


# --- PostgreSQL 18 ---------------------------------------------------------------------


def test_virtual_generated_column_is_metadata_only_on_18() -> None:
    """PostgreSQL 18 release notes: "Allow generated columns to be virtual, and
    make them the default"; a virtual column is computed on read, so adding one
    does not rewrite. A STORED one still does (manual, ALTER TABLE)."""
    virtual = only(analyze("ALTER TABLE shop_order ADD COLUMN total_tax numeric "
                           "GENERATED ALWAYS AS (total * 1.2) VIRTUAL;", pg_version=18))
    assert virtual.cost is Cost.METADATA and virtual.rewrites == []
    assert "SR101" not in codes(virtual)
    stored = only(analyze("ALTER TABLE shop_order ADD COLUMN total_tax numeric "
                          "GENERATED ALWAYS AS (total * 1.2) STORED;", pg_version=18))
    assert stored.cost is Cost.REWRITE
    assert "SR101" in codes(stored)


def test_not_enforced_constraints_do_not_scan_on_18() -> None:
    """PostgreSQL 18 release notes: "Allow CHECK and foreign key constraints to be
    specified as NOT ENFORCED": they are not checked, so nothing is scanned."""
    check = only(analyze("ALTER TABLE shop_order ADD CONSTRAINT total_positive "
                         "CHECK (total >= 0) NOT ENFORCED;", pg_version=18))
    assert check.cost is Cost.METADATA and check.scans == []
    assert "SR105" not in codes(check)
    foreign_key = only(analyze(
        "ALTER TABLE shop_order ADD CONSTRAINT shop_order_customer_fk FOREIGN KEY "
        "(customer_id) REFERENCES shop_customer (id) NOT ENFORCED;", pg_version=18))
    assert foreign_key.cost is Cost.METADATA and foreign_key.scans == []
    assert "SR106" not in codes(foreign_key)


def test_not_null_not_valid_on_18() -> None:
    """PostgreSQL 18 release notes: "Allow NOT NULL constraints to be added as
    NOT VALID" (no scan; existing rows are checked by VALIDATE CONSTRAINT under
    SHARE UPDATE EXCLUSIVE). A plain ADD CONSTRAINT ... NOT NULL scans."""
    analysis = analyze("""
    ALTER TABLE shop_order ADD CONSTRAINT shop_order_note_nn NOT NULL note NOT VALID;
    ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_note_nn;
    ALTER TABLE shop_customer ADD CONSTRAINT shop_customer_bio_nn NOT NULL bio;
    """, pg_version=18)
    not_valid, validate, plain = analysis.statements
    assert not_valid.cost is Cost.METADATA and not_valid.scans == []
    assert "SR104" not in codes(not_valid)
    assert validate.cost is Cost.SCAN
    assert lock_modes(validate) == {"shop_order": "SHARE UPDATE EXCLUSIVE"}
    assert "SR104" not in codes(validate)
    assert plain.cost is Cost.SCAN
    assert "SR104" in codes(plain)


def test_set_not_null_after_validating_a_not_null_constraint_is_free_on_18() -> None:
    """PostgreSQL 18 ALTER TABLE: once the NOT NULL constraint is validated the
    column is marked NOT NULL, so SET NOT NULL has nothing to check."""
    analysis = analyze("""
    ALTER TABLE shop_order ADD CONSTRAINT shop_order_note_nn NOT NULL note NOT VALID;
    ALTER TABLE shop_order VALIDATE CONSTRAINT shop_order_note_nn;
    ALTER TABLE shop_order ALTER COLUMN note SET NOT NULL;
    """, pg_version=18)
    set_not_null = analysis.statements[2]
    assert set_not_null.cost is Cost.METADATA
    assert "SR104" not in codes(set_not_null)


# --- the knowledge table's version boundaries -----------------------------------------


def _bounded_entries() -> list[Entry]:
    return [entry for entry in knowledge.KNOWLEDGE
            if entry.since is not None or entry.until is not None]


def _boundaries() -> list[tuple[Entry, int, int]]:
    """(entry, last version outside, first version inside) and the reverse for ``until``."""
    cases = []
    for entry in _bounded_entries():
        if entry.since is not None:
            cases.append((entry, entry.since - 1, entry.since))
        if entry.until is not None:
            cases.append((entry, entry.until, entry.until - 1))
    return cases


def _boundary_id(case: tuple[Entry, int, int]) -> str:
    entry, outside, inside = case
    variant = f"[{entry.variant}]" if entry.variant else ""
    return f"{entry.kind}{variant}@{inside}|{outside}"


def _lookup_or_none(entry: Entry, version: int) -> Entry | None:
    try:
        return knowledge.lookup(entry.kind, entry.variant, version)
    except knowledge.UnknownKind:
        return None


def test_the_table_has_version_bounded_rows() -> None:
    """Guards the parametrization below against silently testing nothing."""
    assert len(_boundaries()) >= 10


@pytest.mark.parametrize("case", _boundaries(), ids=_boundary_id)
def test_knowledge_row_flips_at_its_version_boundary(case: tuple[Entry, int, int]) -> None:
    entry, outside, inside = case
    assert _lookup_or_none(entry, inside) is entry
    other = _lookup_or_none(entry, outside)
    assert other is not entry
    if other is not None and other.kind == entry.kind and other.variant == entry.variant:
        # The same kind/variant on the other side of the boundary: it must say
        # something different, or the boundary is pointless.
        assert (other.locks, other.cost, other.transactional) != (
            entry.locks, entry.cost, entry.transactional)


def test_version_ranges_of_one_kind_and_variant_do_not_overlap() -> None:
    """For every kind/variant, each version from 10 to 30 has at most one row."""
    rows: dict[tuple[str, str], list[Entry]] = {}
    for entry in knowledge.KNOWLEDGE:
        rows.setdefault((entry.kind, entry.variant), []).append(entry)
    for (kind, variant), entries in rows.items():
        for version in range(10, 31):
            applying = [e for e in entries if e.applies_to(version)]
            assert len(applying) <= 1, (kind, variant, version)
        bounded = sorted((e for e in entries if e.since or e.until),
                         key=lambda e: e.since or 0)
        for earlier, later in pairwise(bounded):
            # Adjacent ranges meet exactly: no version without a row between them.
            if earlier.until is not None and later.since is not None:
                assert earlier.until == later.since, (kind, variant)


def test_nulls_not_distinct_and_sql_json_constructors_need_their_version() -> None:
    from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
    from sqlreview.pg.learn import schema_from_sql

    schema = schema_from_sql("CREATE TABLE t (a int, b jsonb);")
    sql = ("CREATE UNIQUE INDEX i ON t (a) NULLS NOT DISTINCT;"
           "ALTER TABLE t ADD CONSTRAINT c UNIQUE NULLS NOT DISTINCT (a);"
           "CREATE TABLE u (a int, CONSTRAINT u_a UNIQUE NULLS NOT DISTINCT (a));"
           "ALTER TABLE t ALTER COLUMN b SET DEFAULT JSON_OBJECT('k': 1);"
           "CREATE UNIQUE INDEX j ON t (a);")

    def sr003(version: int) -> list[list[str]]:
        analysis = analyze_sql(sql, options=AnalyzerOptions(pg_version=version), schema=schema)
        return [[f.message for f in s.findings if f.code == "SR003"]
                for s in analysis.statements]

    at14 = sr003(14)
    assert all(any("NULLS NOT DISTINCT needs PostgreSQL 15" in m for m in row)
               for row in at14[:3]), at14
    assert any("Django" in m and "nulls_distinct=False" in m for m in at14[0])
    assert any("JSON_OBJECT()/JSON_ARRAY() needs PostgreSQL 16" in m for m in at14[3])
    assert at14[4] == []
    assert sr003(15)[:3] == [[], [], []]
    assert any("needs PostgreSQL 16" in m for m in sr003(15)[3])
    assert sr003(16) == [[]] * 5
