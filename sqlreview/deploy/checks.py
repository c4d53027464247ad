"""Each change, judged against the code on either side of the deploy.

"Old code" is the release still running while the migration runs: its models
are the state before the first migration of the reviewed set, so tables and
columns that the set itself creates are unknown to it. "New code" is the
release being rolled out: its models are the state after the operation.
Each check yields :class:`Concern` values saying which side breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from sqlreview.deploy.facts import (
    Change,
    Column,
    ColumnAdded,
    ColumnAltered,
    ColumnDropped,
    ColumnRenamed,
    ConstraintAdded,
    PythonCode,
    RawSql,
    StateOnlyRemoval,
    Table,
    TableCreated,
    TableDropped,
    TableRenamed,
)
from sqlreview.deploy.verdict import Concern
from sqlreview.pg.rules import Rule
from sqlreview.pg.rules.deploy import (
    SR401,
    SR402,
    SR403,
    SR404,
    SR405,
    SR406,
    SR407,
    SR408,
    SR409,
    SR410,
    SR411,
    SR412,
    SR413,
    SR414,
)


@dataclass
class Knowledge:
    old: Mapping[str, Table]  # the old code's tables, by name
    new: Callable[[str], Table | None]  # the new code's table of that name
    # Columns the models stopped knowing (state only) earlier in the reviewed set.
    state_removed: dict[tuple[str, str], Column] = field(default_factory=dict)

    def old_column(self, table: str, column: str) -> Column | None:
        known = self.old.get(table)
        return known.column(column) if known else None


def concerns_of(change: Change, knowledge: Knowledge) -> Iterator[Concern]:
    check = _CHECKS.get(type(change))
    if check is not None:
        yield from check(change, knowledge)


def _concern(raised: Rule, message: str, **flags: bool) -> Concern:
    return Concern(raised.finding(message), (raised.instead,), **flags)


def _needed(message: str) -> Concern:
    return _concern(SR414, message, needed_by_new=True)


def _table_created(change: TableCreated, _: Knowledge) -> Iterator[Concern]:
    yield _needed(f"the new code uses the new table {change.table.name}")


def _column_added(change: ColumnAdded, knowledge: Knowledge) -> Iterator[Concern]:
    where = f"{change.table}.{change.column.name}"
    column = change.column
    if change.table not in knowledge.old:
        yield _needed(f"the new code uses {where}")
    elif column.required:
        yield _concern(
            SR401,
            f"{where} is NOT NULL and its default lives in Python only: the old code's "
            "INSERTs, which do not name it, fail",
            breaks_old=True, needed_by_new=True,
        )
    elif column.unique and column.db_default and not column.null:
        yield _concern(
            SR402, f"{where} is unique with a database default: the old code's second "
            "INSERT writes the same default again", breaks_old=True, needed_by_new=True,
        )
    else:
        yield _needed(f"the new code uses {where}")


def _table_dropped(change: TableDropped, knowledge: Knowledge) -> Iterator[Concern]:
    still_modelled = knowledge.new(change.table) is not None
    if change.table in knowledge.old or still_modelled:
        owner = knowledge.old.get(change.table) or change.before
        model = f" (model {owner.model})" if owner else ""
        yield _concern(
            SR405,
            f"{change.table}{model} is dropped while the "
            + ("models still have it" if still_modelled else "old code still uses it"),
            breaks_old=change.table in knowledge.old, breaks_new=still_modelled,
        )


_BOTH_NAMES = ": the old code queries the old name, the new code the new one"


def _table_renamed(change: TableRenamed, knowledge: Knowledge) -> Iterator[Concern]:
    still_modelled = knowledge.new(change.old) is not None
    if change.old in knowledge.old or still_modelled:
        yield _concern(
            SR406,
            f"table {change.old} is renamed to {change.new}"
            + (": the models still use the old name" if still_modelled else _BOTH_NAMES),
            breaks_old=change.old in knowledge.old, needed_by_new=True,
            breaks_new=still_modelled,
        )
    else:
        yield _needed(f"the new code uses the table name {change.new}")


def _column_renamed(change: ColumnRenamed, knowledge: Knowledge) -> Iterator[Concern]:
    new_table = knowledge.new(change.table)
    still_modelled = new_table is not None and new_table.column(change.old) is not None
    old_uses = knowledge.old_column(change.table, change.old) is not None
    if old_uses or still_modelled:
        yield _concern(
            SR406,
            f"column {change.table}.{change.old} is renamed to {change.new}"
            + (": the models still use the old name" if still_modelled else _BOTH_NAMES),
            breaks_old=old_uses, needed_by_new=True, breaks_new=still_modelled,
        )
    else:
        yield _needed(f"the new code uses the column name {change.table}.{change.new}")


def _column_dropped(change: ColumnDropped, knowledge: Knowledge) -> Iterator[Concern]:
    key = (change.table, change.column)
    where = f"{change.table}.{change.column}"
    facts = change.before or knowledge.state_removed.get(key) \
        or knowledge.old_column(*key)
    new_table = knowledge.new(change.table)
    still_modelled = new_table is not None and new_table.column(change.column) is not None
    old_uses = knowledge.old_column(*key) is not None
    required = facts is not None and facts.required and not still_modelled
    if still_modelled:
        yield _concern(SR403, f"{where} is dropped but the models still have it",
                       breaks_old=old_uses, breaks_new=True)
    elif required:
        yield _concern(
            SR404,
            f"{where} is NOT NULL without a database default"
            + (" and the old code still uses it" if old_uses else ""),
            breaks_old=old_uses, needed_by_new=True,
        )
    elif old_uses:
        yield _concern(SR403, f"{where} is dropped while the old code still uses it",
                       breaks_old=True)


def _column_altered(change: ColumnAltered, knowledge: Knowledge) -> Iterator[Concern]:
    before, after = change.before, change.after
    old = knowledge.old_column(change.table, before.name)
    where = f"{change.table}.{after.name}"
    if after.required and not before.required and not (old is not None and old.always_written):
        yield _concern(SR407, f"{where} becomes required: {_why_old_writes_null(old)}",
                       breaks_old=True)
    if after.null and not before.null:
        yield _needed(f"the new code may write NULL into {where}")
    kind = type_change(before, after)
    if kind == "narrow" and old is not None:
        yield _concern(SR408, f"{where} narrows from {_describe_type(before)} to "
                       f"{_describe_type(after)}: the old code may write values that no "
                       "longer fit", breaks_old=True)
    elif kind == "change" and old is not None:
        yield _concern(SR409, f"{where} changes from {_describe_type(before)} to "
                       f"{_describe_type(after)}: each release writes values the other's "
                       "column rejects or misreads", breaks_old=True, needed_by_new=True)
    elif kind is not None:
        yield _needed(f"the new code may write values that {_describe_type(before)} "
                      f"rejects into {where}")
    if old is not None and after.unique and not before.unique:
        yield _concern(SR402, f"{where} becomes unique: the old code may still write "
                       "duplicates", breaks_old=True)
    if old is not None and after.references and after.references != before.references:
        yield _concern(SR402, f"{where} gets a foreign key to {after.references}: the "
                       "old code may write ids that do not exist there", breaks_old=True)


def _why_old_writes_null(old: Column | None) -> str:
    if old is None:
        return "the old code does not know the column and leaves it out of its INSERTs"
    if old.db_default:
        return "the old code relies on the database default"
    return "the old code's field is nullable without a default, so it may write NULL"


def _constraint_added(change: ConstraintAdded, knowledge: Knowledge) -> Iterator[Concern]:
    if change.table in knowledge.old:
        yield _concern(SR402, f"the new {change.kind} constraint {change.name} on "
                       f"{change.table} may reject rows the old code writes", breaks_old=True)


def _state_only_removal(change: StateOnlyRemoval, knowledge: Knowledge) -> Iterator[Concern]:
    column = change.column
    knowledge.state_removed[(change.table, column.name)] = column
    if column.required:
        yield _concern(
            SR410,
            f"{change.table}.{column.name} leaves the models but stays NOT NULL without a "
            "database default",
            breaks_new=True,
        )


def _python_code(change: PythonCode, _: Knowledge) -> Iterator[Concern]:
    if change.imported_models:
        yield _concern(SR411, f"{change.function} uses {', '.join(change.imported_models)}")
    if not change.reversible:
        yield _concern(SR412, f"{change.function} has no reverse_code")


def _raw_sql(change: RawSql, _: Knowledge) -> Iterator[Concern]:
    if not change.reversible:
        yield _concern(SR413, "RunSQL has no reverse_sql")


_CHECKS: dict[type, Callable[..., Iterator[Concern]]] = {
    TableCreated: _table_created,
    ColumnAdded: _column_added,
    TableDropped: _table_dropped,
    TableRenamed: _table_renamed,
    ColumnRenamed: _column_renamed,
    ColumnDropped: _column_dropped,
    ColumnAltered: _column_altered,
    ConstraintAdded: _constraint_added,
    StateOnlyRemoval: _state_only_removal,
    PythonCode: _python_code,
    RawSql: _raw_sql,
}

# -- type changes ------------------------------------------------------------------

_STRINGS = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField",
                      "FilePathField", "FileField", "ImageField"})
_INTEGER_BYTES = {
    "SmallIntegerField": 2, "IntegerField": 4, "BigIntegerField": 8,
    "SmallAutoField": 2, "AutoField": 4, "BigAutoField": 8,
    "PositiveSmallIntegerField": 2, "PositiveIntegerField": 4, "PositiveBigIntegerField": 8,
}
_RELATIONS = frozenset({"ForeignKey", "OneToOneField"})


def type_change(before: Column, after: Column) -> str | None:
    """"widen", "narrow", "change" (incompatible) or None (the same type)."""
    if before.type in _RELATIONS or after.type in _RELATIONS:
        return None
    if before.type in _STRINGS and after.type in _STRINGS:
        return _compare(_length(before), _length(after))
    if before.type in _INTEGER_BYTES and after.type in _INTEGER_BYTES:
        size = _compare(_INTEGER_BYTES[before.type], _INTEGER_BYTES[after.type])
        sign = _compare(-before.type.startswith("Positive"), -after.type.startswith("Positive"))
        return _combine(size, sign)
    if before.type == after.type == "DecimalField":
        digits = _compare(_integer_digits(before), _integer_digits(after))
        return _combine(digits, _compare(before.decimal_places or 0, after.decimal_places or 0))
    if before.type != after.type:
        return "change"
    return _compare(_length(before), _length(after)) if before.max_length else None


def _length(column: Column) -> float:
    return float("inf") if column.max_length is None else column.max_length


def _integer_digits(column: Column) -> int:
    return (column.max_digits or 0) - (column.decimal_places or 0)


def _compare(before: float, after: float) -> str | None:
    if after > before:
        return "widen"
    if after < before:
        return "narrow"
    return None


def _combine(*kinds: str | None) -> str | None:
    if "narrow" in kinds:
        return "narrow"
    return "widen" if "widen" in kinds else None


def _describe_type(column: Column) -> str:
    if column.type in _STRINGS and column.max_length:
        return f"{column.type}(max_length={column.max_length})"
    if column.type == "DecimalField":
        return f"DecimalField({column.max_digits}, {column.decimal_places})"
    return column.type
