"""``[tool.sqlreview]`` in ``pyproject.toml``: project defaults for the flags.

The nearest ``pyproject.toml`` found upward from the working directory is
read; its values become the argument parser's defaults (``set_defaults``
before ``parse_args``), so a flag given on the command line always wins, and
an environment variable (``SQLREVIEW_SCRATCH_URL``, ...) wins over the file.
Both ``sqlreview`` and ``sqlreview sql`` read the same table; the keys only
the Django review uses are accepted and unused by ``sqlreview sql``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlreview.deploy import DeployModel
from sqlreview.pg.rules import RULES_BY_CODE
from sqlreview.report.links import RULES_BASE_URL
from sqlreview.results import Level

SECTION = "tool.sqlreview"


class ConfigError(Exception):
    """An unknown key or a bad value: exit code 2."""


@dataclass
class Config:
    path: Path | None = None
    defaults: dict[str, Any] = field(default_factory=dict)  # argparse dest -> value
    warnings: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a string or a list of strings")
    return tuple(v.strip() for v in value)


OLDEST_PG_VERSION = 10
NEWEST_PG_VERSION = 30


def pg_version_argument(text: str) -> int:
    """``--pg-version``: a PostgreSQL major version (``16`` or ``16.2``)."""
    try:
        major = int(text.split(".")[0])
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a PostgreSQL major version") from None
    if not OLDEST_PG_VERSION <= major <= NEWEST_PG_VERSION:
        raise argparse.ArgumentTypeError(
            f"PostgreSQL {major} is out of range ({OLDEST_PG_VERSION} to {NEWEST_PG_VERSION})")
    return major


def level_argument(text: str) -> Level | None:
    """``--fail-on``: a risk level, or never (None)."""
    if text.strip().lower() == "never":
        return None
    try:
        return Level.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}, or never") from None


def _pg_version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("expected a PostgreSQL major version such as 16")
    return int(_argparse_value(pg_version_argument, str(value)))


def _level(value: Any) -> Any:
    return _argparse_value(level_argument, _text(value))


def _show(value: Any) -> str:
    choices = ("all", "low", "medium", "high", "critical")
    text = _text(value).lower()
    if text not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}")
    return text


def _codes(value: Any) -> tuple[str, ...]:
    codes = tuple(code.upper() for code in _texts(value))
    unknown = [code for code in codes if code not in RULES_BY_CODE]
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: no such sqlreview code (see "
                         f"{RULES_BASE_URL})")
    return codes


def codes_argument(text: str) -> tuple[str, ...]:
    """``--ignore`` / ``--select``: finding codes, comma-separated."""
    try:
        return _codes([part for part in (p.strip() for p in text.split(",")) if part])
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _start_after(value: Any) -> tuple[str, ...]:
    items = _texts(value)
    bad = [item for item in items if ":" not in item]
    if bad:
        raise ValueError(f"{', '.join(bad)}: expected app_label:migration, e.g. \"library:0042\"")
    return items


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


PRE_STATES = ("fast", "replay", "database", "snapshot")


def _pre_state(value: Any) -> str:
    text = _text(value)
    if text not in PRE_STATES:
        raise ValueError(f"expected one of {', '.join(PRE_STATES)}")
    return text


def _deploy_model(value: Any) -> str:
    choices = [model.value for model in DeployModel]
    text = _text(value)
    if text not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}")
    return text


def _path(value: Any) -> Path:
    return Path(_text(value))


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("expected a number of seconds, 0 or more")
    return float(value)


def _argparse_value(convert: Callable[[str], Any], text: str) -> Any:
    try:
        return convert(text)
    except argparse.ArgumentTypeError as error:
        raise ValueError(str(error)) from None


@dataclass(frozen=True)
class _Key:
    dest: str
    convert: Callable[[Any], Any]
    env: str | None = None  # an environment variable that wins over the file
    is_path: bool = False  # relative to the pyproject.toml's directory


KEYS: dict[str, _Key] = {
    "pg-version": _Key("pg_version", _pg_version),
    "fail-on": _Key("fail_on", _level),
    "show": _Key("show", _show),
    "ignore": _Key("ignore", _codes),
    "select": _Key("select", _codes),
    "exclude": _Key("exclude", _texts),
    "start-after": _Key("start_after", _start_after),
    "assume-lock-timeout": _Key("assume_lock_timeout", _bool, env="SQLREVIEW_ASSUME_LOCK_TIMEOUT"),
    "publish-required": _Key("publish_required", _bool),
    "scratch-url": _Key("scratch_url", _text, env="SQLREVIEW_SCRATCH_URL"),
    "deploy-model": _Key("deploy_model", _deploy_model, env="SQLREVIEW_DEPLOY_MODEL"),
    "pre-state": _Key("pre_state", _pre_state, env="SQLREVIEW_PRE_STATE"),
    "drift": _Key("drift", _bool),
    "cache-dir": _Key("cache_dir", _text, env="SQLREVIEW_CACHE_DIR", is_path=True),
    "stats": _Key("stats", _path, is_path=True),
    "calibration": _Key("calibration", _path, is_path=True),
    "risk-critical-seconds": _Key("risk_critical_seconds", _seconds),
    "risk-high-seconds": _Key("risk_high_seconds", _seconds),
    "risk-medium-seconds": _Key("risk_medium_seconds", _seconds),
}


def find_pyproject(start: Path | None = None) -> Path | None:
    directory = (start or Path.cwd()).resolve()
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


def load(start: Path | None = None) -> Config:
    """The ``[tool.sqlreview]`` of the nearest pyproject.toml (an empty Config without one).

    ``path`` is set only when that file has a ``[tool.sqlreview]`` table: the JSON's
    ``config`` names the file the settings came from, or is null."""
    path = find_pyproject(start)
    if path is None:
        return Config()
    loads = _toml_reader()
    if loads is None:
        return Config(warnings=[  # not read: null in the JSON; tomli is a dependency on 3.10
            f"{path}: [{SECTION}] not read: this Python has no tomllib (install tomli)"])
    try:
        document = loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError) as error:  # tomllib.TOMLDecodeError
        raise ConfigError(f"{path} is not valid TOML ({error})") from None
    table = document.get("tool", {}).get("sqlreview")
    if table is None:  # a pyproject.toml of its own, not a configuration of sqlreview
        return Config()
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{SECTION}] must be a table")
    return Config(path, defaults=_defaults(path, table))


def _defaults(path: Path, table: dict[str, Any]) -> dict[str, Any]:
    valid = ", ".join(KEYS)
    unknown = sorted(key for key in table if key not in KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key{'s' if len(unknown) > 1 else ''} "
                          f"{', '.join(unknown)} in [{SECTION}]; valid keys: {valid}")
    defaults: dict[str, Any] = {}
    for name, value in table.items():
        key = KEYS[name]
        try:
            converted = key.convert(value)
        except ValueError as error:
            raise ConfigError(f"{path}: [{SECTION}] {name} = {value!r}: {error} "
                              f"(valid keys: {valid})") from None
        if key.env and os.environ.get(key.env):
            continue
        if key.is_path:
            converted = (path.parent / converted).resolve()
        defaults[key.dest] = converted
    return defaults


def _toml_reader() -> Callable[[str], dict[str, Any]] | None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]
        except ModuleNotFoundError:
            return None
    return tomllib.loads


def apply(parser: argparse.ArgumentParser, start: Path | None = None) -> Config:
    """Load the config and make its values ``parser``'s defaults.

    Keys that are not flags of this parser (``show`` before the report has
    it, or the Django keys under ``sqlreview sql``) are still set on the
    namespace, so they are kept but change nothing.
    """
    config = load(start)
    parser.set_defaults(ignore=(), select=(), exclude=(), start_after=(), config_path=config.path,
                        config_warnings=config.warnings)
    if config.defaults:
        parser.set_defaults(**config.defaults)
    return config
