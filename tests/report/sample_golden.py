"""The sample project's text report at 80 and 200 columns, as golden files.

The SQL Django renders differs between Django versions, so the files are the
report under the Django they were written with (``DJANGO``); the test runs
under that Django only. ``python -m tests.report.update_golden`` rewrites them.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_sqlreview

GOLDEN_DIR = Path(__file__).with_name("golden")
DJANGO = (5, 2)
WIDTHS = (80, 200)


def golden_path(width: int) -> Path:
    return GOLDEN_DIR / f"sample_migrations.{width}.txt"


def sample_report(width: int, scratch_url: str | None = None) -> tuple[int, str]:
    """``sqlreview --all`` on sample_migrations/ as text at ``width`` columns, no colour."""
    arguments = ["--all", "--pythonpath", "sample_migrations", "--settings",
                 "sampleproject.settings", "--width", str(width), "--color", "never", "--quiet",
                 "--no-cache"]
    if scratch_url:
        arguments += ["--scratch-url", scratch_url]
    result = run_sqlreview(*arguments, timeout=600,
                           unset=("SQLREVIEW_", "DJANGO_", "COLUMNS"))
    if result.returncode not in (0, 1):
        raise RuntimeError(f"sqlreview exited {result.returncode}: {result.stderr}")
    return result.returncode, result.stdout
