"""``sqlreview stats dump`` on the embedded server: sizes as PostgreSQL reports them."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.stats.helpers import as_user, dump, run_cli

SETUP = """
CREATE TABLE shop_order (id bigserial PRIMARY KEY, total int NOT NULL DEFAULT 0, note text);
CREATE INDEX shop_order_total ON shop_order (total);
INSERT INTO shop_order (total, note)
  SELECT g, CASE WHEN g % 100 = 0 THEN repeat(md5(g::text), 400) ELSE 'n' END
  FROM generate_series(1, 20000) g;
CREATE SCHEMA billing;
CREATE TABLE billing.invoice (id int PRIMARY KEY, order_id bigint REFERENCES shop_order);
INSERT INTO billing.invoice SELECT g, g FROM generate_series(1, 300) g;
"""


def execute(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        return list(connection.execute(sql).fetchall())


@pytest.fixture
def shop(pg_database: str) -> str:
    execute(pg_database, SETUP)
    execute(pg_database, "VACUUM ANALYZE")
    return pg_database


def catalog(url: str) -> Any:
    from sqlreview.pg.introspect import schema_from_cursor

    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        return schema_from_cursor(cursor)


def by_name(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {table["name"]: table for table in snapshot["tables"]}


def test_sizes_are_those_postgresql_reports(shop: str, tmp_path: Path) -> None:
    snapshot, _ = dump(shop, tmp_path)
    assert snapshot["snapshot_version"] == 2
    tables = by_name(snapshot)
    assert set(tables) == {"shop_order", "billing.invoice"}
    order = tables["shop_order"]
    # After VACUUM ANALYZE: every row counted, relpages is the heap's size.
    (count, relpages, total, indexes, fsm, vm), = query(shop, """
        SELECT (SELECT count(*) FROM shop_order), relpages, pg_total_relation_size(oid),
               pg_indexes_size(oid), pg_relation_size(oid, 'fsm'), pg_relation_size(oid, 'vm')
        FROM pg_class WHERE relname = 'shop_order'""")
    assert order["rows"] == count == 20000
    assert order["live_tuples"] == count
    assert order["heap_bytes"] == relpages * 8192
    assert order["index_bytes"] == indexes
    assert order["toast_bytes"] > 0  # the long notes were moved out of line
    assert order["heap_bytes"] + order["toast_bytes"] + order["index_bytes"] + fsm + vm == total
    assert {index["name"] for index in order["indexes"]} == {"shop_order_pkey",
                                                             "shop_order_total"}
    total_index = next(i for i in order["indexes"] if i["name"] == "shop_order_total")
    assert total_index["definition"].startswith("CREATE INDEX shop_order_total ON ")
    assert tables["billing.invoice"]["rows"] == 300


def test_the_snapshot_is_the_schema_catalogreader_reads(shop: str, tmp_path: Path) -> None:
    from sqlreview.pg.introspect import schema_from_cursor
    from sqlreview.stats.snapshot import schema_from_json, schema_to_json

    snapshot, _ = dump(shop, tmp_path)
    with psycopg.connect(shop) as connection, connection.cursor() as cursor:
        live = schema_from_cursor(cursor)
    assert snapshot["schema"] == schema_to_json(live) | {"relations": snapshot["schema"][
        "relations"]}  # defaults are extra
    restored = schema_from_json(snapshot["schema"])
    assert restored.relations == live.relations
    columns = {c["name"]: c for r in snapshot["schema"]["relations"] if r["name"] == "shop_order"
               for c in r["columns"]}
    assert columns["total"]["default"] == "0"
    assert columns["total"]["not_null"] is True


def test_limits_to_tables_and_schemas(shop: str, tmp_path: Path) -> None:
    snapshot, _ = dump(shop, tmp_path, "--schema-name", "billing")
    assert set(by_name(snapshot)) == {"billing.invoice"}
    assert {r["name"] for r in snapshot["schema"]["relations"]} == {
        "billing.invoice", "billing.invoice_pkey"}
    assert "CREATE TABLE billing.invoice" in snapshot["schema_ddl"]
    assert "shop_order (" not in snapshot["schema_ddl"]
    out = tmp_path / "one.json"
    result = run_cli("stats", "dump", "--database-url", shop, "-o", str(out),
                     "--tables", "shop_order,missing_table")
    assert result.returncode == 3
    assert "could not read table missing_table: not found" in result.stderr
    written = json.loads(out.read_text(encoding="utf-8"))
    assert set(by_name(written)) == {"shop_order"}
    assert any("missing_table" in item for item in written["unreadable"])
    assert "CREATE TABLE public.shop_order" in written["schema_ddl"]
    assert "invoice" not in written["schema_ddl"]


@pytest.fixture
def connect_only_role(shop: str) -> Iterator[str]:
    """A role that may CONNECT to ``shop`` and nothing else."""
    role = f"sr_reader_{uuid.uuid4().hex[:8]}"
    (database,), = query(shop, "SELECT current_database()")
    execute(shop, f"""
        CREATE ROLE {role} LOGIN PASSWORD 'pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
        REVOKE ALL ON DATABASE "{database}" FROM PUBLIC;
        GRANT CONNECT ON DATABASE "{database}" TO {role};
        REVOKE ALL ON SCHEMA public FROM PUBLIC;""")
    try:
        yield as_user(shop, role, "pw")
    finally:
        execute(shop, f"DROP OWNED BY {role}; DROP ROLE {role}")


def test_a_connect_only_role_dumps_and_writes_nothing(shop: str, connect_only_role: str,
                                                      tmp_path: Path) -> None:
    with psycopg.connect(connect_only_role) as connection, pytest.raises(
            psycopg.errors.InsufficientPrivilege):
        connection.execute("SELECT count(*) FROM public.shop_order")
    counters = """SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, n_mod_since_analyze
                  FROM pg_stat_user_tables ORDER BY relname"""
    relations = "SELECT count(*), max(xmin::text::bigint) FROM pg_class"
    before = query(shop, counters), query(shop, relations)
    snapshot, stderr = dump(connect_only_role, tmp_path, "--no-schema-ddl")
    assert stderr == ""
    assert snapshot["unreadable"] == []
    assert snapshot["schema_ddl"] is None and snapshot["applied_migrations"] is None
    assert snapshot["session"]["transaction_read_only"] == "on"
    assert snapshot["session"]["statement_timeout"] == "10s"
    assert snapshot["database"]["role"] == connect_only_role.split("//")[1].split(":")[0]
    tables = by_name(snapshot)
    (relpages,), = query(shop, "SELECT relpages FROM pg_class WHERE relname = 'shop_order'")
    assert tables["shop_order"]["heap_bytes"] == relpages * 8192
    assert tables["shop_order"]["rows"] == 20000
    assert len(tables["shop_order"]["indexes"]) == 2
    assert (query(shop, counters), query(shop, relations)) == before


def test_a_connect_only_role_gets_sizes_but_not_the_ddl_and_is_told_why(
        shop: str, connect_only_role: str, tmp_path: Path) -> None:
    out = tmp_path / "sizes-only.json"
    result = run_cli("stats", "dump", "--database-url", connect_only_role, "-o", str(out))
    assert result.returncode == 3
    snapshot = json.loads(out.read_text(encoding="utf-8"))
    assert set(by_name(snapshot)) == {"shop_order", "billing.invoice"}
    assert snapshot["schema_ddl"] is None
    (problem,) = snapshot["unreadable"]
    assert problem.startswith("the schema DDL and applied migrations (pass --no-schema-ddl to "
                              "leave them out): pg_dump: permission denied for ")
    assert "SELECT on every table" in problem
    assert result.stderr == f"sqlreview stats dump: could not read {problem}\n"


def test_the_snapshot_holds_production_s_schema_and_applied_migrations(
        shop: str, tmp_path: Path, pg_server: Any) -> None:
    from sqlreview.scratch.production import read_production_schema, restore_schema
    from sqlreview.stats.snapshot import load_snapshot

    execute(shop, """CREATE TABLE django_migrations (id serial PRIMARY KEY, app varchar(255),
                         name varchar(255), applied timestamptz);
                     INSERT INTO django_migrations (app, name, applied)
                         VALUES ('shop', '0001_initial', now()), ('billing', '0001_initial', now())
                  """)
    written, _ = dump(shop, tmp_path)
    assert written["applied_migrations"] == [["shop", "0001_initial"],
                                             ["billing", "0001_initial"]]
    assert written["has_migrations_table"] is True
    snapshot = load_snapshot(tmp_path / "snapshot.json")
    assert snapshot.production_schema is not None
    assert snapshot.production_schema.source == str(tmp_path / "snapshot.json")
    live = read_production_schema(shop)
    assert dataclasses.replace(snapshot.production_schema, source=live.source) == live
    with pg_server.temporary_database(prefix="sqlreview_test") as scratch:
        assert restore_schema(snapshot.production_schema, scratch) == []
        assert query(scratch, "SELECT count(*) FROM shop_order") == [(0,)]
        assert catalog(scratch).relations == catalog(shop).relations


def test_a_version_1_snapshot_still_serves_for_sizes(shop: str, tmp_path: Path) -> None:
    from sqlreview.stats.snapshot import load_snapshot

    written, _ = dump(shop, tmp_path, "--no-schema-ddl")
    version_1 = {key: value for key, value in written.items() if key not in {
        "schema_ddl", "applied_migrations", "has_migrations_table", "schema_ddl_server_version"}}
    old = tmp_path / "v1.json"
    old.write_text(json.dumps(version_1 | {"snapshot_version": 1}), encoding="utf-8")
    snapshot = load_snapshot(old)
    assert snapshot.production_schema is None
    order = snapshot.table("shop_order")
    assert order is not None and order.rows == 20000


def test_an_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("stats", "dump", "--database-url",
                     "postgresql://nobody@127.0.0.1:1/none", "-o", str(tmp_path / "s.json"))
    assert result.returncode == 2
    assert result.stderr.startswith("sqlreview: cannot connect to the database:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.json").exists()
    bad = run_cli("stats", "dump", "--database-url", "not a url at all")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_table_locked_by_a_migration_is_listed_not_waited_for(shop: str, tmp_path: Path
                                                                 ) -> None:
    out = tmp_path / "locked.json"
    with psycopg.connect(shop) as migration:
        migration.execute("LOCK TABLE billing.invoice IN ACCESS EXCLUSIVE MODE")
        result = run_cli("stats", "dump", "--database-url", shop, "-o", str(out))
        migration.rollback()
    assert result.returncode == 3, result.stderr
    assert "could not read the size of billing.invoice:" in result.stderr
    assert "lock timeout" in result.stderr
    snapshot = json.loads(out.read_text(encoding="utf-8"))
    assert set(by_name(snapshot)) == {"shop_order"}  # the other table is complete
    assert len(by_name(snapshot)["shop_order"]["indexes"]) == 2
    # Reading the schema (pg_get_expr and kin) waits on the lock too: said, not hidden.
    assert all("billing.invoice" in item or item.startswith("the schema")
               for item in snapshot["unreadable"])
    assert snapshot["schema_ddl"] is None
    assert ("could not read the schema DDL and applied migrations (pass --no-schema-ddl to leave "
            "them out): table billing.invoice is locked by another session") in result.stderr
