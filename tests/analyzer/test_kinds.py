"""The statement kinds and the knowledge table name the same things."""

from __future__ import annotations

import json

from sqlreview.pg.kinds import StatementKind
from sqlreview.pg.knowledge import KNOWLEDGE


def test_every_kind_has_a_knowledge_row() -> None:
    known = {entry.kind for entry in KNOWLEDGE}
    assert [kind for kind in StatementKind if kind not in known] == []


def test_every_row_is_keyed_by_a_kind() -> None:
    assert all(isinstance(entry.kind, StatementKind) for entry in KNOWLEDGE)


def test_a_kind_prints_and_serialises_as_its_text() -> None:
    kind = StatementKind.ALTER_TABLE_ALTER_COLUMN_TYPE
    assert f"{kind}" == str(kind) == "ALTER TABLE ALTER COLUMN TYPE"
    assert json.dumps({"kind": kind}) == '{"kind": "ALTER TABLE ALTER COLUMN TYPE"}'
    assert {"ALTER TABLE ALTER COLUMN TYPE": 1}[kind] == 1
