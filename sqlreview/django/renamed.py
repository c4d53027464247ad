"""Tables renamed in the history: what keeps an earlier table's name, and giving it back.

``ALTER TABLE ... RENAME TO`` (Django's ``AlterModelTable`` and
``RenameModel``) renames the table only: its primary key (``OLD_pkey``), the
sequence of its identity column (``OLD_id_seq``), the column checks and
uniques PostgreSQL named (``OLD_col_check``, ``OLD_col_key``), the indexes
Django named after the table and columns (a foreign key's, ``_like``) and its
foreign keys keep the names the old table gave them, and so do the foreign
keys *to* it (their name holds the target's table name). ``RenameModel``
also alters every foreign key to the model: Django drops them and creates
them again under the names the tables have then. The fast pre-state creates
each table under its last name, so :class:`TableOrigins` follows the
history (table by table, column by column) and :func:`rename_tables_back`
gives each object the name it had then.

What cannot be followed exactly holds the renaming migration back (the
reason is returned by :func:`table_rename_problem` and
:func:`altered_field_problem`): a renamed model with a many-to-many field or
one pointing to it (the through table and its columns are renamed too), with
``*_together``, a table in another schema, a rename after other operations of
its migration (their deferred indexes and foreign keys follow the rename), a
table that a migration held back before it names (replayed after the fast
part, it would meet the new name), an ``AlterField`` that changes an object of
a column whose names come from an earlier table. SQL built past before a
rename of a table it names runs, after the tables, with the table renamed back
for it to the name it had then (see :func:`sqlreview.django.past.run_after_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlreview.django.past import Touch, state_table, table_for

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.migrations.state import ModelState, ProjectState

# (app label, model_name_lower, field name)
FieldKey = tuple[str, str, str]
ModelKey = tuple[str, str]
_NAME_LENGTH = 63  # PostgreSQL's NAMEDATALEN - 1
_EVERY_TABLE = "*"  # as sqlreview.django.past's touches: any table
_O = TypeVar("_O")


@dataclass(frozen=True)
class Origin:
    """The table an object was named after, and the migration that renamed it."""

    table: str
    label: str


@dataclass(frozen=True)
class ForeignKeyOrigin:
    """The tables a foreign key constraint was named after (its own and its target's)."""

    table: str
    target: str
    label: str


@dataclass
class TableOrigins:
    """What still carries an earlier table name, for the tables renamed so far.

    A key that is absent means "named after the names the tables have now".
    """

    # A field's indexes, uniques and checks.
    columns: dict[FieldKey, Origin] = field(default_factory=dict)
    # A field's foreign key constraint.
    foreign_keys: dict[FieldKey, ForeignKeyOrigin] = field(default_factory=dict)
    # A model's primary key and the sequence of its identity column.
    primary_keys: dict[ModelKey, Origin] = field(default_factory=dict)

    def copy(self) -> TableOrigins:
        return TableOrigins(dict(self.columns), dict(self.foreign_keys),
                            dict(self.primary_keys))

    def __bool__(self) -> bool:
        return bool(self.columns or self.foreign_keys or self.primary_keys)

    # -- following the history -------------------------------------------------------------

    def rename_table(self, operation: Any, app_label: str, state: ProjectState,
                     label: str) -> None:
        """Record what ``operation`` (a table rename judged exact) leaves under the old name;
        ``state`` is the one before it."""
        kind = type(operation).__name__
        name = (operation.old_name if kind == "RenameModel" else operation.name).lower()
        model = state.models[(app_label, name)]
        old = state_table(app_label, model)
        incoming = _foreign_keys_to(state, (app_label, name))
        for target_key, referrer, referring in incoming:
            if kind == "RenameModel":
                # Django alters each of them: dropped, and created again under today's names.
                self.foreign_keys.pop(target_key, None)
            else:
                self.foreign_keys.setdefault(target_key, ForeignKeyOrigin(
                    state_table(referrer[0], referring), old, label))
        for field_name, state_field in model.fields.items():
            key = (app_label, name, field_name)
            self.columns.setdefault(key, Origin(old, label))
            recreated = kind == "RenameModel" and any(key == k for k, _, _ in incoming)
            if state_field.is_relation and key not in self.foreign_keys and not recreated:
                target = _target_model(state, app_label, state_field)
                assert target is not None  # table_rename_problem holds it back otherwise
                self.foreign_keys[key] = ForeignKeyOrigin(old, state_table(*target), label)
        self.primary_keys.setdefault((app_label, name), Origin(old, label))
        if kind == "RenameModel":
            self._rename_model(app_label, name, operation.new_name_lower)

    def _rename_model(self, app_label: str, old: str, new: str) -> None:
        _move_model(self.columns, app_label, old, new)
        _move_model(self.foreign_keys, app_label, old, new)
        if (app_label, old) in self.primary_keys:
            self.primary_keys[(app_label, new)] = self.primary_keys.pop((app_label, old))

    def rename_field(self, app_label: str, model: str, old: str, new: str) -> None:
        """Its indexes keep their names; Django drops its foreign key and creates it again."""
        self.foreign_keys.pop((app_label, model, old), None)
        if (app_label, model, old) in self.columns:
            self.columns[(app_label, model, new)] = self.columns.pop((app_label, model, old))

    def forget(self, app_label: str, model: str, field_name: str | None = None) -> None:
        """A field removed, or a model deleted (``field_name`` None): its objects are gone."""
        _forget(self.columns, app_label, model, field_name)
        _forget(self.foreign_keys, app_label, model, field_name)
        if field_name is None:
            self.primary_keys.pop((app_label, model), None)

    def tracks(self, app_label: str, model: str, field_name: str) -> bool:
        key = (app_label, model, field_name)
        return key in self.columns or key in self.foreign_keys


def _move_model(origins: dict[FieldKey, _O], app_label: str, old: str, new: str) -> None:
    for key in [k for k in origins if k[:2] == (app_label, old)]:
        origins[(app_label, new, key[2])] = origins.pop(key)


def _forget(origins: dict[FieldKey, _O], app_label: str, model: str,
            field_name: str | None) -> None:
    for key in [k for k in origins if k[:2] == (app_label, model)
                and field_name in (None, k[2])]:
        del origins[key]


def table_rename_problem(operation: Any, app_label: str, state: ProjectState,
                         after_other_operations: bool,
                         replayed: list[tuple[str, set[str]]]) -> str | None:
    """Why the fast path cannot follow ``operation`` (``RenameModel``, ``AlterModelTable``)
    exactly; None when it can. ``replayed``: the migrations held back so far, each with
    the tables it names (:func:`named_tables`); replayed after the fast part, one that
    names the table would meet it under its new name."""
    kind = type(operation).__name__
    name = (operation.old_name if kind == "RenameModel" else operation.name).lower()
    model = state.models.get((app_label, name))
    if model is None:
        return None  # the state change itself will say what is wrong
    if not has_table(model):
        # No table is renamed; the names of foreign keys to it could not be followed.
        return (f"{kind} of an unmanaged model other tables refer to"
                if _relations_to(state, (app_label, name)) else None)
    if after_other_operations:
        return f"{kind} after other operations of its migration"
    new_table = (operation.table if kind == "AlterModelTable" else None)
    tables = [state_table(app_label, model), new_table or ""]
    if any("." in table or '"' in table for table in tables):
        return f"{kind} of a table in another schema"
    for held, named in replayed:
        if _EVERY_TABLE in named or any(table in named for table in tables):
            return f"{kind} of a table that {held} names (replayed after it)"
    if any(model.options.get(option) for option in ("unique_together", "index_together")):
        return f"{kind} of a model with *_together"
    if any(f.many_to_many for f in model.fields.values()) or any(
            f.many_to_many for _, _, f in _relations_to(state, (app_label, name))):
        return f"{kind} of a model with a many-to-many field"
    if any(f.is_relation and _target_model(state, app_label, f) is None
           for f in model.fields.values()):
        return f"{kind} of a model with a foreign key the state cannot resolve"
    return None


def renamed_table_names(operation: Any, app_label: str, state: ProjectState
                        ) -> tuple[str, str]:
    """The table ``operation`` (``RenameModel``, ``AlterModelTable`` of a model in
    ``state``, the state before it) renames, and its new name (the same when a
    ``db_table`` keeps it)."""
    kind = type(operation).__name__
    name = (operation.old_name if kind == "RenameModel" else operation.name).lower()
    model = state.models[(app_label, name)]
    if kind == "RenameModel":
        return state_table(app_label, model), table_for(app_label, operation.new_name,
                                                         model.options)
    options = {**model.options, "db_table": operation.table}
    return state_table(app_label, model), table_for(app_label, model.name, options)


def altered_field_problem(origins: TableOrigins, operation: Any, app_label: str,
                          old: Any) -> str | None:
    """An ``AlterField`` that would make Django name an object again, of a column whose
    objects keep an earlier table's name (or whose type other tables' foreign keys follow)."""
    new = operation.field
    if old is None:
        return None
    retyped = (old.get_internal_type() != new.get_internal_type()
               or getattr(old, "db_collation", None) != getattr(new, "db_collation", None))
    if origins and (old.primary_key or old.unique) and retyped:
        return "AlterField of a key's type after a table rename"
    if not origins.tracks(app_label, operation.model_name_lower, operation.name):
        return None
    if (old.is_relation or new.is_relation or old.primary_key != new.primary_key
            or old.db_index != new.db_index or old.unique != new.unique
            or ((old.db_index or old.unique or old.primary_key) and retyped)):
        return "AlterField of an indexed or related field of a renamed table"
    return None


def named_tables(operation: Any, app_label: str, state: ProjectState,
                 touches: list[Touch]) -> set[str]:
    """The tables ``operation`` (``touches``: what it changes) names: those it changes, the
    ones its foreign keys point to."""
    named = {touch.table for touch in touches}
    kind = type(operation).__name__
    if kind == "SeparateDatabaseAndState":
        for inner in operation.database_operations:
            named |= named_tables(inner, app_label, state, [])
    fields = ([f for _, f in operation.fields] if kind == "CreateModel"
              else [operation.field] if kind in ("AddField", "AlterField") else [])
    for state_field in fields:
        if state_field.is_relation:
            target = _target_model(state, app_label, state_field)
            named.add(state_table(*target) if target is not None else _EVERY_TABLE)
    return named


def has_table(model: ModelState) -> bool:
    return not (model.options.get("managed", True) is False or model.options.get("proxy"))


def _target_model(state: ProjectState, app_label: str, state_field: Any) -> tuple[str, Any] | None:
    """(app label, model state) of the model a relation field points to, if in ``state``."""
    remote = state_field.remote_field.model
    if isinstance(remote, str):
        app, _, name = remote.rpartition(".")
        key = (app or app_label, name.lower())
    else:
        key = (remote._meta.app_label, remote._meta.model_name)
    model = state.models.get(key)
    return (key[0], model) if model is not None else None


def _relations_to(state: ProjectState, target: ModelKey
                  ) -> list[tuple[tuple[str, str], Any, Any]]:
    """((app, model), model state, field) of each relation field pointing to ``target``."""
    found = []
    for (app, name), model in state.models.items():
        for state_field in model.fields.values():
            if not state_field.is_relation:
                continue
            pointed = _target_model(state, app, state_field)
            if pointed is not None and (pointed[0], pointed[1].name_lower) == target:
                found.append(((app, name), model, state_field))
    return found


def _foreign_keys_to(state: ProjectState, target: ModelKey
                     ) -> list[tuple[FieldKey, tuple[str, str], Any]]:
    """(field key, (app, model), model state) of each foreign key to ``target`` whose table
    has one."""
    found = []
    for (app, name), model in state.models.items():
        if not has_table(model):
            continue
        for field_name, state_field in model.fields.items():
            if not state_field.is_relation or state_field.many_to_many:
                continue
            pointed = _target_model(state, app, state_field)
            if pointed is not None and (pointed[0], pointed[1].name_lower) == target:
                found.append(((app, name, field_name), (app, name), model))
    return found


# -- giving the names back ------------------------------------------------------------------


class RenameBackFailed(Exception):
    """A name could not be given back (taken): the renaming migration must be replayed."""

    def __init__(self, label: str, error: str) -> None:
        super().__init__(f"{label}: {error}")
        self.label = label
        self.error = error


_COLUMN_OBJECTS = """
SELECT CASE con.contype WHEN 'f' THEN 'foreign key' ELSE 'constraint' END, con.conname,
       ref.relname, ra.attname
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = con.conkey[1]
LEFT JOIN pg_class ref ON ref.oid = con.confrelid
LEFT JOIN pg_attribute ra ON ra.attrelid = ref.oid AND ra.attnum = con.confkey[1]
WHERE t.relname = %s AND a.attname = %s AND array_length(con.conkey, 1) = 1
  AND con.contype <> 'p'
UNION ALL
SELECT 'index', ic.relname, NULL, NULL
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]
WHERE t.relname = %s AND a.attname = %s AND i.indnatts = 1
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""

_TABLE_OBJECTS = """
SELECT 'constraint', con.conname, NULL FROM pg_constraint con
JOIN pg_class t ON t.oid = con.conrelid WHERE t.relname = %s AND con.contype = 'p'
UNION ALL
SELECT 'sequence', s.relname, a.attname FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE t.relname = %s AND d.deptype IN ('a', 'i') AND d.classid = 'pg_class'::regclass
"""


def rename_tables_back(connection: BaseDatabaseWrapper, state: ProjectState,
                       origins: TableOrigins, original_columns: dict[FieldKey, str]) -> int:
    """Give every object :class:`TableOrigins` follows the name its earlier table gave it;
    how many were renamed. ``original_columns``: the column a renamed field's objects are
    named after (they were renamed back to it already). Raises :class:`RenameBackFailed`
    when a name is taken."""
    count = 0
    with connection.schema_editor(atomic=True) as editor:
        namer = _Namer(editor)
        for (app_label, model_name), origin in origins.primary_keys.items():
            model = _model(state, app_label, model_name)
            if model is not None:
                count += namer.table_objects(model._meta.db_table, origin)
        for key in sorted(set(origins.columns) | set(origins.foreign_keys)):
            model = _model(state, key[0], key[1])
            try:
                column = model._meta.get_field(key[2]).column if model else None
            except LookupError:
                column = None
            if model is None or column is None:
                continue
            count += namer.column_objects(model._meta.db_table, column,
                                          original_columns.get(key, column),
                                          origins.columns.get(key), origins.foreign_keys.get(key))
    return count


def _model(state: ProjectState, app_label: str, model_name: str) -> Any:
    try:
        model = state.apps.get_model(app_label, model_name)
    except LookupError:
        return None
    return model if _has_table_model(model) else None


def _has_table_model(model: Any) -> bool:
    return bool(model._meta.managed and not model._meta.proxy)


class _Namer:
    """Renames objects whose name is exactly the one the fast path gave them."""

    def __init__(self, editor: Any) -> None:
        self.editor = editor

    def table_objects(self, table: str, origin: Origin) -> int:
        if origin.table == table:
            return 0
        count = 0
        for kind, name, column in self._rows(_TABLE_OBJECTS, [table, table]):
            if kind == "constraint" and name == pg_name(table, None, "pkey"):
                count += self._rename("constraint", table, name,
                                      pg_name(origin.table, None, "pkey"), origin.label)
            elif kind == "sequence" and column and name == pg_name(table, column, "seq"):
                count += self._rename("sequence", table, name,
                                      pg_name(origin.table, column, "seq"), origin.label)
        return count

    def column_objects(self, table: str, column: str, original: str, origin: Origin | None,
                       foreign_key: ForeignKeyOrigin | None) -> int:
        count = 0
        for kind, name, target, target_column in self._rows(
                _COLUMN_OBJECTS, [table, column, table, column]):
            if kind == "foreign key" and foreign_key is not None and target_column:
                now = self._index_name(table, column, f"_fk_{target}_{target_column}")
                then = self._index_name(foreign_key.table, column,
                                        f"_fk_{foreign_key.target}_{target_column}")
                if name == now and then != now:
                    count += self._rename("constraint", table, name, then, foreign_key.label)
            elif kind != "foreign key" and origin is not None and origin.table != table:
                earlier = self._name_then(table, original, origin.table, name)
                if earlier is not None and earlier != name:
                    count += self._rename(kind, table, name, earlier, origin.label)
        return count

    def _name_then(self, table: str, column: str, then: str, name: str) -> str | None:
        """The name ``then`` gave the object of ``column`` now called ``name``, if told."""
        for suffix in ("", "_like", "_uniq"):
            if self._index_name(table, column, suffix) == name:
                return self._index_name(then, column, suffix)
        for label in ("key", "check", "not_null"):
            if name == pg_name(table, column, label):
                return pg_name(then, column, label)
        return None

    def _index_name(self, table: str, column: str, suffix: str) -> str:
        return str(self.editor._create_index_name(table, [column], suffix=suffix))

    def _rows(self, query: str, parameters: list[str]) -> list[tuple[Any, ...]]:
        with self.editor.connection.cursor() as cursor:
            cursor.execute(query, parameters)
            return list(cursor.fetchall())

    def _rename(self, kind: str, table: str, name: str, then: str, label: str) -> int:
        from django.db import DatabaseError, transaction

        quote = self.editor.quote_name
        sql = {
            "constraint": f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} "
                          f"TO {quote(then)}",
            "index": f"ALTER INDEX {quote(name)} RENAME TO {quote(then)}",
            "sequence": f"ALTER SEQUENCE {quote(name)} RENAME TO {quote(then)}",
        }[kind]
        try:
            with transaction.atomic(using=self.editor.connection.alias):
                self.editor.execute(sql)
        except DatabaseError as error:
            raise RenameBackFailed(label, str(error).strip().splitlines()[0]) from error
        return 1


def pg_name(first: str, second: str | None, label: str) -> str:
    """The name PostgreSQL makes for an object of ``first`` (and ``second``): its
    ``makeObjectName``, both parts shortened, the longer one first, to fit 63 bytes."""
    room = _NAME_LENGTH - len(label) - 1 - (1 if second is not None else 0)
    first_length, second_length = len(first), len(second or "")
    while first_length + second_length > room:
        if first_length > second_length:
            first_length -= 1
        else:
            second_length -= 1
    parts = [first[:first_length], *([second[:second_length]] if second is not None else []),
             label]
    return "_".join(parts)
