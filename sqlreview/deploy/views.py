"""What a Django project state says the tables look like.

Read from the state's rendered models (``state.apps``): Django renders them
anyway to apply the migration, and ``_meta`` has the exact table and column
names. Only managed, concrete models count: Django runs no DDL for the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from sqlreview.deploy.facts import Column, Table

if TYPE_CHECKING:
    from django.db.migrations.state import ProjectState

ModelKey = tuple[str, str]  # (app_label, model_name_lower), as ProjectState.models has it

AUTO_TYPES = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})


def model_tables(state: ProjectState, key: ModelKey) -> dict[str, Table]:
    """The tables of one model: its own under "", and its auto-created many-to-many
    tables under the field's name. Empty when the state has no such model."""
    if key not in state.models:
        return {}
    try:
        model = state.apps.get_model(*key)
    except LookupError:
        return {}
    tables: dict[str, Table] = {}
    own = table_of(model)
    if own is not None:
        tables[""] = own
    for field in model._meta.local_many_to_many:
        through = getattr(field.remote_field, "through", None)
        if through is not None and not isinstance(through, str) and through._meta.auto_created:
            table = table_of(through)
            if table is not None:
                tables[field.name] = table
    return tables


class LazyTables(Mapping[str, Table]):
    """Every table the state's models have, by table name, each described when first asked.

    A review judges each migration against the old code's tables but looks at
    a few of them: describing all of them per migration was a tenth of ``--all``.
    The model classes it keeps are not changed by later state changes (Django
    renders changed models anew).
    """

    def __init__(self, state: ProjectState) -> None:
        self._models: dict[str, Any] = {}
        for model in state.apps.get_models(include_auto_created=True):
            self._models.setdefault(model._meta.db_table, model)
        self._tables: dict[str, Table | None] = {}

    def _table(self, name: str) -> Table | None:
        if name not in self._tables:
            model = self._models.get(name)
            self._tables[name] = table_of(model) if model is not None else None
        return self._tables[name]

    def __getitem__(self, name: str) -> Table:
        table = self._table(name)
        if table is None:
            raise KeyError(name)
        return table

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._table(name) is not None

    def __iter__(self) -> Iterator[str]:
        return (name for name in self._models if self._table(name) is not None)

    def __len__(self) -> int:
        return sum(1 for _name in self)


def all_tables(state: ProjectState) -> Mapping[str, Table]:
    """Every table the state's models have, by table name."""
    return LazyTables(state)


def table_named(state: ProjectState, name: str) -> Table | None:
    """The table called ``name`` (schema ignored) in the state, if a model has it."""
    bare = name.rpartition(".")[2]
    for model in state.apps.get_models(include_auto_created=True):
        if model._meta.db_table == bare:
            return table_of(model)
    return None


def table_of(model: Any) -> Table | None:
    meta = model._meta
    if meta.proxy or not meta.managed or getattr(meta, "swapped", None):
        return None
    return Table(
        name=meta.db_table,
        model=meta.label,
        columns=tuple(column_of(field) for field in meta.local_concrete_fields),
        constraints=_constraints(meta),
    )


def column_of(field: Any) -> Column:
    from django.db.models import NOT_PROVIDED

    internal_type = field.get_internal_type()
    generated = bool(getattr(field, "generated", False))
    db_default = getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED
    return Column(
        name=field.column,
        field=field.name,
        null=bool(field.null),
        db_default=db_default or internal_type in AUTO_TYPES,
        default=bool(field.has_default()),
        type=internal_type,
        max_length=getattr(field, "max_length", None),
        max_digits=getattr(field, "max_digits", None),
        decimal_places=getattr(field, "decimal_places", None),
        unique=bool(field.unique),
        references=_referenced_table(field),
        generated=generated,
    )


def _referenced_table(field: Any) -> str | None:
    remote = getattr(field, "remote_field", None)
    if remote is None or not getattr(field, "db_constraint", False):
        return None
    target = getattr(remote, "model", None)
    meta = getattr(target, "_meta", None)
    return str(meta.db_table) if meta is not None else None


def _constraints(meta: Any) -> frozenset[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for fields in meta.unique_together:
        columns = [meta.get_field(name).column for name in fields]
        found.add(("unique", ", ".join(columns)))
    for constraint in meta.constraints:
        found.add((_constraint_kind(constraint), constraint.name))
    return frozenset(found)


def _constraint_kind(constraint: Any) -> str:
    kind = type(constraint).__name__
    if "Unique" in kind:
        return "unique"
    if "Check" in kind:
        return "check"
    if "Exclusion" in kind:
        return "exclusion"
    return "constraint"
