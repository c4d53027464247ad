"""The sample project's text report at 80 and 200 columns, as golden files.

The SQL Django renders differs between Django versions, so the files are the
report under the Django they were written with (``DJANGO``); the test runs
under that Django only. ``python -m tests.report.update_golden`` rewrites them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).with_name("golden")
DJANGO = (5, 2)
WIDTHS = (80, 200)


def golden_path(width: int) -> Path:
    return GOLDEN_DIR / f"sample_migrations.{width}.txt"


def sample_report(width: int, scratch_url: str | None = None) -> tuple[int, str]:
    """``sqlreview --all`` on sample_migrations/ as text at ``width`` columns, no colour."""
    command = [sys.executable, "-m", "sqlreview", "--all", "--pythonpath", "sample_migrations",
               "--settings", "sampleproject.settings", "--width", str(width),
               "--color", "never", "--quiet", "--no-cache"]
    if scratch_url:
        command += ["--scratch-url", scratch_url]
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("SQLREVIEW_", "DJANGO_")) and key != "COLUMNS"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env=environment, check=False)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"sqlreview exited {result.returncode}: {result.stderr}")
    return result.returncode, result.stdout
