"""Running the real CLI for the stats tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.support.cli import ROOT, run_sqlreview


def run_cli(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_sqlreview(*arguments, cwd=cwd or ROOT)


def dump(url: str, tmp_path: Path, *extra: str) -> tuple[dict[str, Any], str]:
    out = tmp_path / "snapshot.json"
    result = run_cli("stats", "dump", "--database-url", url, "-o", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text(encoding="utf-8")), result.stderr


def as_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # empty with a Unix socket (?host=/dir)
    netloc = f"{user}:{password}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))
