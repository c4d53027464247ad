"""The dependency facts the analyzer needs for second-table locks are the same
whether the schema is learnt from SQL or read from a live catalog: partitions
(and which one is the DEFAULT), inheritance children, foreign keys with their
ON DELETE / ON UPDATE actions, and the relations views read."""

from __future__ import annotations

from typing import Any

import psycopg

from sqlreview.pg.introspect import schema_from_cursor
from sqlreview.pg.learn import schema_from_sql
from sqlreview.pg.schema import ConstraintKind, Schema
from tests.truth.catalog import SETUP_SQL

EXTRA_SQL = """
CREATE TABLE "crm_region" ("id" bigint PRIMARY KEY);
CREATE TABLE "crm_office" (
    "id" bigint PRIMARY KEY,
    "region_id" bigint REFERENCES "crm_region" ("id") ON UPDATE CASCADE ON DELETE RESTRICT
);
"""


def dependency_facts(schema: Schema) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for key, relation in schema.relations.items():
        foreign_keys = sorted(
            (c.referenced, c.columns, c.on_delete, c.on_update, c.deferred)
            for c in relation.constraints.values()
            if c.kind is ConstraintKind.FOREIGN_KEY
        )
        facts[key] = {
            "parent": relation.parent,
            "is_partition": relation.is_partition,
            "default_partition": relation.default_partition,
            "foreign_keys": foreign_keys,
            "sources": sorted(relation.sources),
            "column_uses": relation.column_uses,
        }
    return facts


def test_catalog_and_sql_agree_on_dependencies(pg_database: str) -> None:
    sql = SETUP_SQL + EXTRA_SQL
    with psycopg.connect(pg_database, autocommit=True) as connection:
        connection.execute(sql.encode())
        introspected = schema_from_cursor(connection.cursor())
    learnt = schema_from_sql(sql)
    from_catalog = dependency_facts(introspected)
    from_sql = dependency_facts(learnt)
    shared = sorted(set(from_catalog) & set(from_sql))
    assert {"log_entry_default", "crm_deal", "crm_big_deal_count", "crm_office"} <= set(shared)
    assert {key: from_catalog[key] for key in shared} == {key: from_sql[key] for key in shared}
    # The facts the comparison rests on are really there.
    assert from_catalog["log_entry_default"]["default_partition"]
    assert from_catalog["shop_archive_2023"]["parent"] == "shop_archive"
    assert not from_catalog["shop_archive_2023"]["is_partition"]
    assert from_catalog["crm_office"]["foreign_keys"][0][2:4] == ("r", "c")
    assert from_catalog["crm_big_deals"]["column_uses"] == {"crm_deal": {"id", "amount"}}
    assert from_catalog["crm_big_deal_count"]["column_uses"] == {"crm_big_deals": set()}
