"""What a RunPython's code is: a no-op, reversible, using the historical models or not.

A data migration must use ``apps.get_model()``: the historical model matches
the schema at that point of the migration history. A model imported from the
app's ``models.py`` is the *current* one, which keeps changing after the
migration is written; the migration then breaks (it selects columns a later
migration adds, or that an earlier one dropped). sqlreview looks at the
names the function's bytecode loads (``co_names``) and imports: a global
bound to a model class, or an import from a ``models`` module.
"""

from __future__ import annotations

import dis
import types
from typing import Any

from sqlreview.deploy.facts import PythonCode


def inspect_run_python(operation: Any) -> PythonCode:
    code = operation.code
    return PythonCode(
        function=_name(code),
        reversible=operation.reverse_code is not None,
        noop=_is_noop(code),
        imported_models=() if _is_noop(code) else imported_models(code),
    )


def imported_models(function: Any) -> tuple[str, ...]:
    """Models the function reaches without ``apps.get_model`` (sorted labels)."""
    code = getattr(function, "__code__", None)
    if not isinstance(code, types.CodeType):
        return ()
    namespace: dict[str, Any] = getattr(function, "__globals__", {})
    found: set[str] = set()
    for each in _code_objects(code):
        for name in each.co_names:
            label = _model_label(namespace.get(name))
            if label:
                found.add(label)
        found.update(_imports_from_models(each))
    return tuple(sorted(found))


def _code_objects(code: types.CodeType) -> list[types.CodeType]:
    """The function's code and that of the functions and comprehensions inside it."""
    found = [code]
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            found.extend(_code_objects(constant))
    return found


def _model_label(value: Any) -> str | None:
    from django.db import models

    if isinstance(value, type) and issubclass(value, models.Model) and \
            not value._meta.abstract:
        return str(value._meta.label)
    if isinstance(value, types.ModuleType) and _is_models_module(value.__name__):
        return value.__name__
    return None


def _imports_from_models(code: types.CodeType) -> set[str]:
    found: set[str] = set()
    module: str | None = None
    for instruction in dis.get_instructions(code):
        if instruction.opname == "IMPORT_NAME":
            module = str(instruction.argval)
            if _is_models_module(module):
                found.add(module)
        elif instruction.opname == "IMPORT_FROM" and module is not None and \
                module.split(".")[-1] != "models" and instruction.argval == "models" and \
                not module.startswith("django"):
            found.add(f"{module}.models")
    return found


def _is_models_module(name: str) -> bool:
    return name.split(".")[-1] == "models" and not name.startswith("django.")


def _is_noop(code: Any) -> bool:
    from django.db.migrations.operations import RunPython

    return code is RunPython.noop or getattr(code, "__func__", None) is RunPython.noop


def _name(code: Any) -> str:
    module = getattr(code, "__module__", None)
    name = getattr(code, "__qualname__", None) or getattr(code, "__name__", None)
    return f"{module}.{name}" if module and name else repr(code)
