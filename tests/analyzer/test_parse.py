"""The statement splitter and the tree walk that replaced slower pglast machinery.

Both are on the hot path of big inputs; what they must keep is what the
report shows: every piece of the input gets a row, and relations are found in
the order pglast's visitor found them (the order reaches the report).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pglast
import pytest
from pglast import ast, visitors

from sqlreview.pg.nodes import walk
from sqlreview.pg.parse import iter_statements, parse_statements

CORPUS = [
    "WITH x AS (SELECT * FROM a) INSERT INTO b SELECT nextval('s'), * FROM x, "
    "(VALUES (1, 2), (3, 4)) v JOIN c ON true WHERE d IN (SELECT 1 FROM e)",
    "UPDATE book SET pages = pages + 1 FROM author WHERE author.id = book.author_id "
    "AND author.name = ANY (ARRAY['a', 'b'])",
    "CREATE MATERIALIZED VIEW mv AS SELECT a.x, count(*) FROM a JOIN b USING (k) "
    "LEFT JOIN LATERAL (SELECT * FROM c WHERE c.k = a.k) l ON true GROUP BY 1",
    "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT clock_timestamp() "
    "CHECK (c > now() - interval '1 day')",
    "DELETE FROM t WHERE id IN (SELECT id FROM u WHERE u.v = coalesce(lower('X'), 'y'))",
]


class _Recorder(visitors.Visitor):
    def __init__(self) -> None:
        self.seen: list[ast.Node] = []

    def visit(self, ancestors: object, node: ast.Node) -> None:
        self.seen.append(node)


@pytest.mark.parametrize("sql", CORPUS)
def test_walk_visits_the_nodes_pglasts_visitor_visits_in_the_same_order(sql: str) -> None:
    (raw,) = pglast.parse_sql(sql)
    recorder = _Recorder()
    assert raw.stmt is not None
    recorder(raw.stmt)
    assert len(recorder.seen) > 10
    assert [id(node) for node in walk(raw.stmt)] == [id(node) for node in recorder.seen]


def test_walk_does_not_enter_skipped_nodes() -> None:
    (raw,) = pglast.parse_sql("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    everything = list(walk(raw.stmt))
    pruned = list(walk(raw.stmt, skip=(ast.A_Const,)))
    assert any(isinstance(node, ast.String) for node in everything)
    assert not any(isinstance(node, (ast.String, ast.Integer)) for node in pruned)
    assert sum(isinstance(node, ast.A_Const) for node in pruned) == 4


def test_statements_without_a_keyword_still_get_a_row() -> None:
    """PostgreSQL's C splitter drops pieces without a keyword; the report must not."""
    statements = parse_statements("ab cd;\nSELECT 1;\nef;\nSELECT 2; gh ij")
    assert [s.text for s in statements] == ["ab cd", "SELECT 1", "ef", "SELECT 2", "gh ij"]
    assert [s.node is not None for s in statements] == [False, True, False, True, False]
    assert [s.line for s in statements] == [1, 2, 3, 4, 4]


def test_a_statement_body_with_semicolons_is_one_statement() -> None:
    sql = ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
           "SELECT 3;")
    statements = parse_statements(sql)
    assert [s.node is not None for s in statements] == [True, True]
    assert statements[0].text.endswith("END")
    assert statements[1].line == 2


@pytest.mark.parametrize("tail", ["", "not sql;\n"])  # the fallback path too
def test_statements_are_parsed_one_at_a_time(tail: str) -> None:
    """A syntax tree lives while its statement is looked at, not for the whole input."""
    sql = "".join(f"UPDATE t{i % 7} SET a = {i}, b = 'x' WHERE id = {i};\n" for i in range(800))
    sql += tail
    streamed = _peak_bytes(lambda: sum(1 for _ in iter_statements(sql)))
    listed = _peak_bytes(lambda: len(parse_statements(sql)))
    assert streamed * 5 < listed, (streamed, listed)


def _peak_bytes(task: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        task()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
