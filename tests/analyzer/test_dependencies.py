"""What a statement drops along with its target is gone for the statements after
it, and TRUNCATE is judged as the fast statement it is."""

from __future__ import annotations

from sqlreview.pg.analyzer import AnalyzerOptions, analyze_sql
from sqlreview.pg.learn import schema_from_sql
from sqlreview.results import Cost

SCHEMA = """
CREATE TABLE deal (id bigint PRIMARY KEY, amount numeric NOT NULL, contact_id bigint);
CREATE VIEW big_deals AS SELECT id, amount FROM deal WHERE amount > 100;
CREATE VIEW big_deal_count AS SELECT count(*) FROM big_deals;
CREATE TABLE event (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
"""


def locks_after(sql: str) -> list[list[str]]:
    analysis = analyze_sql(sql, options=AnalyzerOptions(pg_version=17),
                           schema=schema_from_sql(SCHEMA))
    return [[lock.relation for lock in statement.locks] for statement in analysis.statements]


def test_views_dropped_by_cascade_are_gone_afterwards() -> None:
    locks = locks_after("DROP TABLE deal CASCADE; DROP VIEW IF EXISTS big_deals;")
    assert {"big_deals", "big_deal_count"} <= set(locks[0])
    assert locks[1] == [], "the view went with the table: IF EXISTS finds nothing"


def test_a_column_drop_takes_only_the_views_reading_it() -> None:
    locks = locks_after("ALTER TABLE deal DROP COLUMN contact_id CASCADE; "
                        "ALTER TABLE deal DROP COLUMN amount CASCADE; "
                        "DROP VIEW IF EXISTS big_deal_count;")
    assert locks[0] == ["deal"]
    assert set(locks[1]) == {"deal", "big_deals", "big_deal_count"}
    assert locks[2] == []


def test_partitions_go_with_their_table() -> None:
    locks = locks_after("DROP TABLE event; DROP TABLE IF EXISTS event_2024;")
    assert set(locks[0]) == {"event", "event_2024"}
    assert locks[1] == []


def test_truncate_is_new_empty_storage_not_a_rewrite() -> None:
    analysis = analyze_sql("TRUNCATE deal;", options=AnalyzerOptions(pg_version=17),
                           schema=schema_from_sql(SCHEMA))
    statement = analysis.statements[0]
    assert statement.cost is Cost.NEW_STORAGE
    assert statement.emptied == ["deal"]
    assert statement.rewrites == []
    assert not Cost.NEW_STORAGE.is_slow
    assert Cost.METADATA.rank < Cost.NEW_STORAGE.rank < Cost.DATA_CHANGE.rank


def findings_of(sql: str, code: str) -> list[str]:
    analysis = analyze_sql(sql, options=AnalyzerOptions(pg_version=17),
                           schema=schema_from_sql(SCHEMA))
    return [finding.message for statement in analysis.statements
            for finding in statement.findings if finding.code == code]


def test_the_drop_finding_names_the_views_cascade_drops() -> None:
    [table] = findings_of("DROP TABLE deal CASCADE;", "SR119")
    assert "CASCADE also drops the views" in table
    assert "big_deals" in table and "big_deal_count" in table
    [column] = findings_of("ALTER TABLE deal DROP COLUMN amount CASCADE;", "SR117")
    assert "big_deals" in column
    [unread] = findings_of("ALTER TABLE deal DROP COLUMN contact_id CASCADE;", "SR117")
    assert "CASCADE" not in unread, "no view reads contact_id"
