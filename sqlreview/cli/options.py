"""The flags every reviewing command shares, ``[tool.sqlreview]`` as their defaults."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from sqlreview import __version__, config, publish
from sqlreview.config import level_argument, pg_version_argument
from sqlreview.errors import UsageError
from sqlreview.report import FORMATS
from sqlreview.report.terminal import (
    COLOR_CHOICES,
    DEFAULT_WIDTH,
    MINIMUM_WIDTH,
    TerminalOptions,
    resolve,
)
from sqlreview.results import Level
from sqlreview.review import DEFAULT_THRESHOLDS, ProjectConfig, Sizes
from sqlreview.stats.apply import Thresholds
from sqlreview.stats.calibration import CalibrationError, load_calibration
from sqlreview.stats.snapshot import SnapshotError, load_snapshot

FALLBACK_PG_VERSION = 13


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, but a text written in lines (the exit-code table) keeps them."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" not in text:
            return super()._fill_text(text, width, indent)
        return "".join(indent + line for line in text.splitlines(keepends=True))


def default_pg_version() -> int:
    """The oldest PostgreSQL the installed Django supports: never too optimistic."""
    try:
        from django.db.backends.postgresql.features import DatabaseFeatures
    except Exception:  # Django or its Postgres backend not importable
        return FALLBACK_PG_VERSION
    minimum = getattr(DatabaseFeatures, "minimum_database_version", None)
    return int(minimum[0]) if minimum else FALLBACK_PG_VERSION


def show_argument(text: str) -> Level | None:
    if text.strip().lower() == "all":
        return None
    try:
        return Level.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}, or all") from None


def width_argument(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < MINIMUM_WIDTH:
        raise argparse.ArgumentTypeError(f"at least {MINIMUM_WIDTH} columns")
    return value


def add_report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("analysis and report")
    group.add_argument(
        "--pg-version", type=pg_version_argument, default=None, metavar="N",
        help="PostgreSQL major version you deploy on (default: the oldest one the installed "
             f"Django supports, {default_pg_version()} here)")
    group.add_argument("--format", choices=sorted(FORMATS), default="text",
                       help="text (terminal report), markdown (a PR comment), json, github "
                            "(GitHub Actions annotations), sarif (GitHub code scanning) or "
                            "codequality (GitLab Code Quality); default: text")
    group.add_argument("--show", type=show_argument, default=Level.MEDIUM, metavar="LEVEL",
                       help="text and Markdown: list statements at or above LEVEL in detail "
                            "(low, medium, high, critical, or all; default: medium)")
    group.add_argument("--fail-on", type=level_argument, default=Level.HIGH, metavar="LEVEL",
                       help="exit 1 when a statement's risk is at or above LEVEL: low, medium, "
                            "high, critical or never (default: high)")
    group.add_argument("--assume-lock-timeout", action="store_true",
                       default=_env_flag("SQLREVIEW_ASSUME_LOCK_TIMEOUT"),
                       help="your migration runner or database role sets lock_timeout: do not "
                            "report SR201 (env SQLREVIEW_ASSUME_LOCK_TIMEOUT=1)")
    group.add_argument("--output", "-o", type=Path, metavar="FILE",
                       help="write the report to FILE instead of standard output")
    group.add_argument("--width", type=width_argument, default=None, metavar="N",
                       help="text: fit the report to N columns (default: $COLUMNS, the "
                            f"terminal's width, or {DEFAULT_WIDTH} when not a terminal)")
    group.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                       help="text: colour risk levels and the verdict: auto (on a terminal, "
                            "unless NO_COLOR is set or FORCE_COLOR is), always or never "
                            "(default: auto)")
    group.add_argument("--ignore", type=config.codes_argument, dest="cli_ignore", default=None,
                       metavar="CODES",
                       help="findings with these codes (comma-separated) are suppressed; "
                            "replaces the config's ignore")
    group.add_argument("--select", type=config.codes_argument, dest="cli_select", default=None,
                       metavar="CODES",
                       help="only findings with these codes (comma-separated) count, the "
                            "others are suppressed; replaces the config's select")
    sizes = parser.add_argument_group("production sizes")
    sizes.add_argument("--stats", type=Path, metavar="FILE",
                       help="a snapshot from `sqlreview stats dump`: estimate how long each "
                            "statement takes on those tables and grade the risk by it")
    sizes.add_argument("--calibration", type=Path, metavar="FILE",
                       help="throughput figures for the estimates (default: the ones shipped "
                            "with sqlreview)")
    parser.set_defaults(**DEFAULT_THRESHOLDS)
    publish.add_publish_options(parser)
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks of internal errors")
    parser.add_argument("--version", action="version", version=f"sqlreview {__version__}")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str]
                    ) -> argparse.Namespace:
    """``argv`` parsed, with ``[tool.sqlreview]`` (pyproject.toml) as the defaults."""
    try:
        config.apply(parser)
    except config.ConfigError as error:
        raise UsageError(str(error)) from None
    return parser.parse_args(argv)


def terminal_options(args: argparse.Namespace, *, stdout: TextIO | None = None,
                     environ: Mapping[str, str] | None = None) -> TerminalOptions:
    """The text report's width and colour: ``--width`` and ``--color`` resolved against
    standard output (``stdout``: ``sys.stdout``) and the environment (``environ``:
    ``os.environ``). A report written to a file (``-o FILE``) is drawn as for a file,
    even when standard output is a terminal."""
    stream = None if args.output is not None else stdout if stdout is not None else sys.stdout
    return resolve(width=args.width, color=args.color, stream=stream,
                   environ=environ if environ is not None else os.environ)


def project_config(args: argparse.Namespace) -> ProjectConfig:
    """What ``parse_arguments`` read from ``[tool.sqlreview]``, for the review."""
    ignore, ignored_by = ((args.cli_ignore, "--ignore") if args.cli_ignore is not None
                          else (tuple(args.ignore), None))
    select, selected_by = ((args.cli_select, "--select") if args.cli_select is not None
                           else (tuple(args.select), None))
    return ProjectConfig(path=args.config_path, warnings=tuple(args.config_warnings),
                         ignore=ignore, select=select,
                         ignored_by=ignored_by, selected_by=selected_by)


def load_sizes(args: argparse.Namespace) -> Sizes | None:
    """The ``--stats`` snapshot with its calibration, or None without ``--stats``;
    a file that cannot be used is a usage error, found before any work."""
    if args.stats is None:
        return None
    thresholds = Thresholds(critical_seconds=args.risk_critical_seconds,
                            high_seconds=args.risk_high_seconds,
                            medium_seconds=args.risk_medium_seconds)
    try:
        thresholds.check()
        snapshot = load_snapshot(args.stats)
        calibration = load_calibration(args.calibration)
    except (SnapshotError, CalibrationError, ValueError) as error:
        raise UsageError(str(error)) from None
    return Sizes(snapshot, calibration, thresholds, str(args.stats))
