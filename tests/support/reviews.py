"""A Django project reviewed by the real CLI, as JSON, and what a reviewer sees of it."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from tests.django.timing import mask_now
from tests.support.cli import ROOT, run_sqlreview

SYNTHETIC = ROOT / "benchmarks" / "synthetic.py"


def write_synthetic(directory: Path, count: int, shape: str = "default"
                    ) -> list[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("synthetic", SYNTHETIC)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    names: list[tuple[str, str]] = module.write_project(directory, count, shape)
    return names


def review(project: Path, settings: str, *args: str, expect: int = 0) -> dict[str, Any]:
    result = run_sqlreview(*args, "--settings", settings, "--pythonpath", str(project),
                       "--format", "json", "--fail-on", "never")
    assert result.returncode == expect, result.stderr
    assert "Traceback" not in result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def verdicts(document: dict[str, Any]) -> list[Any]:
    """What a reviewer sees of each migration: its SQL, and each statement's verdict
    (what a RunPython executed may hold the time it ran: masked)."""
    return [
        (m["app"], m["name"], m["sql"], m["error"],
         [(mask_now(s["sql"]), s["risk"], s["cost"], [lock["mode"] for lock in s["locks"]],
           sorted(f["code"] for f in s["findings"])) for s in m["statements"]])
        for m in document["migrations"]
    ]
