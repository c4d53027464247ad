"""Running the real CLI for the stats tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sqlreview", *arguments], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


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
