"""Plain facts about tables and what one operation changes in them.

Built from Django's project states (``views.py``) or from RunSQL text
(``sql.py``), read by the checks (``checks.py``). Nothing here knows Django,
so the checks can be reasoned about (and tested) on hand-made values.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One database column as a model's field defines it."""

    name: str  # the column, e.g. "author_id"
    field: str  # the model field, e.g. "author"
    null: bool = True
    db_default: bool = False  # the database fills it in (db_default, a sequence, GENERATED)
    default: bool = False  # a Python-side default: the code always sends a value
    type: str = ""  # Django's internal type: "CharField", "IntegerField", ...
    max_length: int | None = None
    max_digits: int | None = None
    decimal_places: int | None = None
    unique: bool = False
    references: str | None = None  # the table a foreign key constraint points at
    generated: bool = False

    @property
    def required(self) -> bool:
        """An INSERT that does not name the column fails."""
        return not self.null and not self.db_default and not self.generated

    @property
    def always_written(self) -> bool:
        """The code owning this field never writes NULL into it by itself."""
        return (not self.null or self.default) and not (self.db_default and not self.default)


@dataclass(frozen=True)
class Table:
    """A table as one state of the models sees it."""

    name: str
    model: str  # "app_label.ModelName"
    columns: tuple[Column, ...] = ()
    # (kind, identity) of every constraint but single-column unique and FKs,
    # which are on the columns: ("unique", "library_book_unique_title"), ...
    constraints: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    def by_field(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.field == name), None)


# -- what one operation does to the database ------------------------------------------


@dataclass(frozen=True)
class TableCreated:
    table: Table


@dataclass(frozen=True)
class TableDropped:
    table: str
    before: Table | None  # None: a table the models do not know (RunSQL)


@dataclass(frozen=True)
class TableRenamed:
    old: str
    new: str


@dataclass(frozen=True)
class ColumnAdded:
    table: str
    column: Column


@dataclass(frozen=True)
class ColumnDropped:
    table: str
    column: str
    before: Column | None  # None: a column the models do not know (RunSQL)


@dataclass(frozen=True)
class ColumnRenamed:
    table: str
    old: str
    new: str


@dataclass(frozen=True)
class ColumnAltered:
    table: str
    before: Column
    after: Column


@dataclass(frozen=True)
class ConstraintAdded:
    table: str
    kind: str  # "unique", "check", "exclusion", "foreign key", "constraint"
    name: str


@dataclass(frozen=True)
class StateOnlyRemoval:
    """The models stop knowing a column the database keeps (SeparateDatabaseAndState)."""

    table: str
    column: Column  # as the database has it after the operation's database side


@dataclass(frozen=True)
class PythonCode:
    """A RunPython."""

    function: str
    reversible: bool
    noop: bool
    imported_models: tuple[str, ...] = ()  # models the code uses without apps.get_model


@dataclass(frozen=True)
class RawSql:
    """A RunSQL (its statements become the changes above where sqlreview understands them)."""

    reversible: bool


Change = (
    TableCreated | TableDropped | TableRenamed | ColumnAdded | ColumnDropped | ColumnRenamed
    | ColumnAltered | ConstraintAdded | StateOnlyRemoval | PythonCode | RawSql
)
