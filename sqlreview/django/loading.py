"""Import every migration module before Django does, so one broken file is one broken row.

Django's ``MigrationLoader`` imports each migration module and lets any
exception end the whole load. Here each module is imported first, on its
own; one that raises (a syntax error, a missing import, ``TypeError`` from a
wrong argument, anything) is replaced in ``sys.modules`` by a stand-in whose
``Migration`` has no operations and the dependencies the file declares (read
from its source without running it), so the graph stays whole. The stand-in
carries the error, and the review reports that migration as failed (SR002,
exit 3) while the rest is reviewed.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import sys
import types
from typing import Any

from sqlreview.django.errors import migration_file_of
from sqlreview.errors import first_line

IMPORT_ERROR_ATTRIBUTE = "sqlreview_import_error"


def preimport_migrations() -> dict[str, str]:
    """Import the migration modules of every installed app; return module -> error."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    failures: dict[str, str] = {}
    for app_config in apps.get_app_configs():
        package_name, _explicit = MigrationLoader.migrations_module(app_config.label)
        if package_name is None:
            continue
        try:
            package = importlib.import_module(package_name)
        except Exception:
            continue  # Django decides what a missing or broken package means
        path = getattr(package, "__path__", None)
        if path is None:
            continue
        for _finder, name, is_package in pkgutil.iter_modules(path):
            if is_package or name[0] in "_~":
                continue
            module_name = f"{package_name}.{name}"
            if module_name in sys.modules:
                continue
            try:
                importlib.import_module(module_name)
            except Exception as error:
                message = _describe(error, module_name)
                failures[module_name] = message
                sys.modules[module_name] = _stand_in(module_name, message, path)
    return failures


def import_error_of(migration: object) -> str | None:
    """The import error of a stand-in migration, else None."""
    error = getattr(migration, IMPORT_ERROR_ATTRIBUTE, None)
    return str(error) if error else None


def _describe(error: BaseException, module_name: str) -> str:
    if isinstance(error, SyntaxError):
        return (f"the migration file has a syntax error ({error.filename}, line "
                f"{error.lineno}: {error.msg}): fix it and run again")
    return (f"the migration module {module_name} failed to import{migration_file_of(error)} "
            f"({first_line(error, with_type=True)}): fix the file (or install what it imports) "
            "and run again")


def _stand_in(module_name: str, message: str, package_path: Any) -> types.ModuleType:
    from django.db import migrations

    short = module_name.rsplit(".", 1)[1]
    source = _source(package_path, short)
    attributes: dict[str, Any] = {
        "operations": [],
        "dependencies": _literal(source, "dependencies") or [],
        IMPORT_ERROR_ATTRIBUTE: message,
    }
    replaces = _literal(source, "replaces")
    if replaces:
        attributes["replaces"] = replaces
    module = types.ModuleType(module_name)
    module.__file__ = _file(package_path, short)
    module.Migration = type("Migration", (migrations.Migration,), attributes)  # type: ignore[attr-defined]
    return module


def _file(package_path: Any, name: str) -> str | None:
    for directory in package_path:
        candidate = os.path.join(directory, f"{name}.py")
        if os.path.exists(candidate):
            return candidate
    return None


def _source(package_path: Any, name: str) -> str:
    path = _file(package_path, name)
    if path is None:
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.read()
    except OSError:
        return ""


def _literal(source: str, name: str) -> list[tuple[str, str]] | None:
    """``name = [("app", "0001_x"), ...]`` in the Migration class body, without running it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id == name:
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError):
                return None
            return [(str(item[0]), str(item[1])) for item in value
                    if isinstance(item, (list, tuple)) and len(item) == 2]
    return None
