"""SR5xx: schema design: types and names that cost nothing today and bite later.

They read the statement's text (the column types it declares, the names it
creates), so they judge what Django emits as well as hand-written SQL; each is
scoped so that Django's own choices (``timestamptz`` with ``USE_TZ``, identity
columns, names it shortens itself) stay quiet.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType, ConstrType
from pglast.parser import ParseError, scan

from sqlreview.pg.nodes import string_values
from sqlreview.pg.rules.base import Example, Rule, StatementFacts
from sqlreview.pg.schema import ConstraintKind, Schema, key_of, range_var_display
from sqlreview.pg.types import SQL_NAMES, ColumnType, is_serial
from sqlreview.results import Finding, Level

# The largest value of each integer type: where a counter stops.
_INTEGER_LIMITS = {"int2": 32_767, "int4": 2_147_483_647, "int8": 9_223_372_036_854_775_807}
_INTEGER_RANK = {"int2": 2, "int4": 4, "int8": 8}
# PostgreSQL's NAMEDATALEN - 1: longer identifiers are cut to this many bytes.
MAX_IDENTIFIER_BYTES = 63


@dataclass(frozen=True)
class TypedColumn:
    """A column whose type the statement declares: a new table's or a new column
    (``new``), or an ALTER COLUMN ... TYPE (``new`` False)."""

    table: str
    column: ast.ColumnDef
    new: bool
    primary_key: bool = False

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column.colname}"

    @property
    def type(self) -> ColumnType | None:
        type_name = self.column.typeName
        return ColumnType.from_node(type_name) if type_name is not None else None

    def has(self, kind: ConstrType) -> bool:
        return _has(self.column, kind)


def _has(column: ast.ColumnDef, kind: ConstrType) -> bool:
    return any(isinstance(c, ast.Constraint) and c.contype == kind
               for c in column.constraints or ())


def typed_columns(node: ast.Node | None) -> Iterator[TypedColumn]:
    if isinstance(node, ast.CreateStmt):
        table = range_var_display(node.relation)
        keys = _table_primary_key(node)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                primary = _has(element, ConstrType.CONSTR_PRIMARY) or keys == [element.colname]
                yield TypedColumn(table, element, True, primary)
    elif isinstance(node, ast.AlterTableStmt):
        table = range_var_display(node.relation)
        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd) or not isinstance(cmd.def_, ast.ColumnDef):
                continue
            if cmd.subtype == AlterTableType.AT_AddColumn:
                yield TypedColumn(table, cmd.def_, True, _has(cmd.def_, ConstrType.CONSTR_PRIMARY))
            elif cmd.subtype == AlterTableType.AT_AlterColumnType:
                named = ast.ColumnDef(colname=cmd.name, typeName=cmd.def_.typeName)
                yield TypedColumn(table, named, False)


def _table_primary_key(node: ast.CreateStmt) -> list[str]:
    for element in node.tableElts or ():
        if isinstance(element, ast.Constraint) and element.contype == ConstrType.CONSTR_PRIMARY:
            return string_values(element.keys)
    return []


def _spelled(column_type: ColumnType) -> str:
    return SQL_NAMES.get(column_type.name, column_type.name)


# --- SR501 ----------------------------------------------------------------------------

def check_integer_key(facts: StatementFacts) -> Iterable[Finding]:
    for column in typed_columns(facts.node):
        column_type = column.type
        if not column.new or column_type is None or column_type.array:
            continue
        limit = _INTEGER_LIMITS.get(column_type.name)
        if limit is None or column_type.name == "int8":
            continue
        type_name = column.column.typeName
        counter = ("serial" if type_name is not None and is_serial(type_name)
                   else "identity" if column.has(ConstrType.CONSTR_IDENTITY) else "")
        if not (column.primary_key or counter):
            continue
        what = "primary key" if column.primary_key else "counter"
        how = f" ({counter})" if counter else ""
        spelled = _spelled(column_type)
        article = "an" if spelled[0] in "aeiou" else "a"
        yield SR501.finding(
            f"{column.name} is {article} {spelled} {what}{how}: INSERTs fail once it passes "
            f"{limit:,}")


SR501 = Rule(
    "SR501", "integer-key-will-run-out", Level.MEDIUM,
    "A new primary key or counter column is `integer` (or `smallint`): it runs out.",
    "An `integer` key stops at 2,147,483,647 (`smallint` at 32,767); after that every "
    "INSERT fails. Widening it then is SR103 on the biggest table: a rewrite of it and of "
    "every table whose foreign keys point at it, under ACCESS EXCLUSIVE. Today, on an "
    "empty table, `bigint` costs 4 bytes a row.",
    "Make it `bigint`. In Django: `BigAutoField` (`DEFAULT_AUTO_FIELD = "
    "\"django.db.models.BigAutoField\"`, or `default_auto_field` on the app's "
    "`AppConfig`; an `AutoField` is `integer`).",
    check=check_integer_key,
    scope="New tables' single-column primary keys and new serial or identity columns only; "
          "a composite key, or an integer column that is neither, is not a counter.",
    examples=(
        Example('CREATE TABLE "shop_coupon" ("id" integer NOT NULL PRIMARY KEY GENERATED BY '
                'DEFAULT AS IDENTITY, "code" varchar(20) NOT NULL);',
                'CREATE TABLE "shop_coupon" ("id" bigint NOT NULL PRIMARY KEY GENERATED BY '
                'DEFAULT AS IDENTITY, "code" varchar(20) NOT NULL);',
                why_good="Django's BigAutoField"),
        Example("CREATE TABLE shop_tag (id serial PRIMARY KEY, label text NOT NULL);",
                "CREATE TABLE shop_tag (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                "label text NOT NULL);",
                also=frozenset({"SR505"})),
    ),
)


# --- SR502 ----------------------------------------------------------------------------

@dataclass(frozen=True)
class _ForeignKey:
    table: str
    columns: list[str]
    referenced: str
    referenced_columns: list[str]


def _foreign_keys(node: ast.Node | None) -> Iterator[_ForeignKey]:
    for column in typed_columns(node):
        for constraint in column.column.constraints or ():
            if isinstance(constraint, ast.Constraint) and \
                    constraint.contype == ConstrType.CONSTR_FOREIGN:
                yield _ForeignKey(column.table, [str(column.column.colname)],
                                  range_var_display(constraint.pktable),
                                  string_values(constraint.pk_attrs))
    constraints: list[tuple[str, ast.Constraint]] = []
    if isinstance(node, ast.CreateStmt):
        table = range_var_display(node.relation)
        constraints = [(table, e) for e in node.tableElts or () if isinstance(e, ast.Constraint)]
    elif isinstance(node, ast.AlterTableStmt):
        table = range_var_display(node.relation)
        constraints = [(table, cmd.def_) for cmd in node.cmds or ()
                       if isinstance(cmd, ast.AlterTableCmd)
                       and cmd.subtype == AlterTableType.AT_AddConstraint
                       and isinstance(cmd.def_, ast.Constraint)]
    for table, constraint in constraints:
        if constraint.contype == ConstrType.CONSTR_FOREIGN:
            yield _ForeignKey(table, string_values(constraint.fk_attrs),
                              range_var_display(constraint.pktable),
                              string_values(constraint.pk_attrs))


def _column_type(facts: StatementFacts, table: str, column: str) -> ColumnType | None:
    for typed in typed_columns(facts.node):
        if typed.new and typed.table == table and typed.column.colname == column:
            return typed.type
    found = facts.schema.column(key_of(table), column) if facts.schema else None
    return found.type if found is not None else None


def _primary_key(schema: Schema | None, table: str) -> list[str]:
    relation = schema.get(key_of(table)) if schema else None
    for constraint in relation.constraints.values() if relation else ():
        if constraint.kind is ConstraintKind.PRIMARY_KEY:
            return list(constraint.columns)
    return []


def check_narrow_foreign_key(facts: StatementFacts) -> Iterable[Finding]:
    for key in _foreign_keys(facts.node):
        referenced_columns = key.referenced_columns or _primary_key(facts.schema, key.referenced)
        for column, referenced in zip(key.columns, referenced_columns, strict=False):
            own = _column_type(facts, key.table, column)
            other = _column_type(facts, key.referenced, referenced)
            if own is None or other is None:
                continue
            own_rank, other_rank = _INTEGER_RANK.get(own.name), _INTEGER_RANK.get(other.name)
            if own_rank and other_rank and own_rank < other_rank:
                yield SR502.finding(
                    f"{key.table}.{column} is {_spelled(own)} but references "
                    f"{key.referenced}.{referenced}, which is {_spelled(other)}: no row can "
                    f"point at an id above {_INTEGER_LIMITS[own.name]:,}")


SR502 = Rule(
    "SR502", "foreign-key-narrower-than-key", Level.MEDIUM,
    "A foreign key column is a smaller integer type than the key it references.",
    "Once the referenced table's ids pass the column's limit (2,147,483,647 for "
    "`integer`), rows that point at the new ids cannot be written; widening the column "
    "then rewrites the referencing table (SR103).",
    "Give the column the referenced key's type (`bigint`). Django does this itself for a "
    "`ForeignKey` (the column follows the target's primary key): this comes from "
    "hand-written SQL, or from a key widened without its foreign keys.",
    check=check_narrow_foreign_key,
    examples=(
        Example("CREATE TABLE shop_refund (id bigint PRIMARY KEY, "
                "order_id integer NOT NULL REFERENCES shop_order (id));",
                "CREATE TABLE shop_refund (id bigint PRIMARY KEY, "
                "order_id bigint NOT NULL REFERENCES shop_order (id));"),
    ),
)


# --- SR503, SR504, SR505: types -------------------------------------------------------

def check_char(facts: StatementFacts) -> Iterable[Finding]:
    for column in typed_columns(facts.node):
        type_name = column.column.typeName
        names = string_values(type_name.names) if type_name is not None else []
        if names == ["pg_catalog", "bpchar"]:
            spelled = str(column.type)
            yield SR503.finding(f"{column.name} is {spelled}: values are padded with spaces "
                                "to its length")


SR503 = Rule(
    "SR503", "char-column", Level.LOW,
    "The column is `char(n)` (`character(n)`).",
    "`char(n)` pads every value with spaces to n characters; the padding is ignored when "
    "values are compared and dropped when they are cast to text, and `char(n)` is no "
    "faster than `varchar(n)` or `text` in PostgreSQL.",
    "Use `varchar(n)` (Django's `CharField`) or `text` (`TextField`) with a CHECK on the "
    "length if it matters.",
    check=check_char,
    scope="Django never emits `char(n)`: this comes from hand-written SQL.",
    examples=(
        Example("ALTER TABLE shop_order ADD COLUMN currency char(3);",
                "ALTER TABLE shop_order ADD COLUMN currency varchar(3);"),
    ),
)


def check_timestamp(facts: StatementFacts) -> Iterable[Finding]:
    for column in typed_columns(facts.node):
        column_type = column.type
        if column_type is not None and column_type.name == "timestamp":
            yield SR504.finding(f"{column.name} is timestamp without time zone")


SR504 = Rule(
    "SR504", "timestamp-without-time-zone", Level.LOW,
    "The column is `timestamp` without time zone.",
    "It stores wall-clock time with no zone: the same instant reads differently from "
    "servers or sessions in different time zones, and daylight-saving changes make "
    "values ambiguous.",
    "Use `timestamp with time zone` (`timestamptz`): it stores the instant and converts "
    "on display. Django emits it for every `DateTimeField` when `USE_TZ = True` (the "
    "default since Django 5.0).",
    check=check_timestamp,
    scope="With `USE_TZ = False` Django emits `timestamp` for every `DateTimeField`: if "
          "that is deliberate, add SR504 to `ignore`.",
    examples=(
        Example("ALTER TABLE shop_order ADD COLUMN shipped_at timestamp;",
                "ALTER TABLE shop_order ADD COLUMN shipped_at timestamp with time zone;"),
    ),
)


def check_serial(facts: StatementFacts) -> Iterable[Finding]:
    for column in typed_columns(facts.node):
        type_name = column.column.typeName
        if column.new and type_name is not None and is_serial(type_name):
            spelled = string_values(type_name.names)[0].lower()
            yield SR505.finding(f"{column.name} is {spelled}, not an identity column")


SR505 = Rule(
    "SR505", "serial-column", Level.LOW,
    "The column is `serial` (`bigserial`, `smallserial`).",
    "A serial column is an integer whose default reads a separately created sequence: the "
    "sequence needs grants of its own, and `CREATE TABLE ... (LIKE ... INCLUDING DEFAULTS)` "
    "copies a default that still draws from the original table's sequence.",
    "Use an identity column: `bigint GENERATED BY DEFAULT AS IDENTITY`, what Django "
    "4.1+ emits for `AutoField` and `BigAutoField`.",
    check=check_serial,
    scope="New columns only; Django before 4.1 emitted `serial`, so old migrations "
          "replayed with an old Django raise it.",
    examples=(
        Example("CREATE TABLE shop_tag (id bigserial PRIMARY KEY, label text NOT NULL);",
                "CREATE TABLE shop_tag (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                "label text NOT NULL);"),
    ),
)


# --- SR506 ----------------------------------------------------------------------------

def _long_identifiers(sql: str) -> Iterator[str]:
    """Identifiers longer than PostgreSQL keeps. The parser has already cut them in the
    parse tree (as the server's lexer does), so they are read from the tokens."""
    try:
        tokens = scan(sql)
    except ParseError:
        return
    data = sql.encode()
    for token in tokens:
        if token.name != "IDENT":
            continue
        text = data[token.start:token.end + 1].decode(errors="replace")
        if text.startswith('"') and text.endswith('"'):
            text = text[1:-1].replace('""', '"')
        if len(text.encode()) > MAX_IDENTIFIER_BYTES:
            yield text


def check_identifier_length(facts: StatementFacts) -> Iterable[Finding]:
    seen: set[str] = set()
    for name in _long_identifiers(facts.sql):
        if name in seen:
            continue
        seen.add(name)
        kept = name.encode()[:MAX_IDENTIFIER_BYTES].decode(errors="ignore")
        yield SR506.finding(f"{name} is {len(name.encode())} bytes long: PostgreSQL keeps "
                            f"only {kept}")


SR506 = Rule(
    "SR506", "identifier-too-long", Level.LOW,
    "A name is longer than 63 bytes: PostgreSQL silently cuts it.",
    "The table, column, index or constraint is created under the first 63 bytes of the "
    "name (with only a NOTICE): two long names that share those bytes collide, and "
    "whatever compares the full name with the catalog (a later migration, a tool) does "
    "not find it.",
    "Choose a name of 63 bytes or fewer (`db_table`, `db_column`, the `name` of an index "
    "or constraint). Django shortens the names it generates itself.",
    check=check_identifier_length,
    examples=(
        Example("CREATE INDEX CONCURRENTLY "
                "shop_order_placed_at_and_status_for_the_nightly_export_report_idx "
                "ON shop_order (placed_at, status);",
                "CREATE INDEX CONCURRENTLY shop_order_placed_status_idx "
                "ON shop_order (placed_at, status);"),
    ),
)

RULES = (SR501, SR502, SR503, SR504, SR505, SR506)
