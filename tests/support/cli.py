"""The one way the tests run sqlreview: in this process (`run_main`) or as users and CI do,
``python -m sqlreview`` in a subprocess (`run_sqlreview`, `run_sqlreview_bytes`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pytest

from sqlreview.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_migrations"

Output = int | IO[Any] | None


def environment(env: Mapping[str, str] | None = None, *, unset: tuple[str, ...] = ()
                ) -> dict[str, str]:
    """This process's environment without the variables starting with ``unset``, plus ``env``."""
    kept = {key: value for key, value in os.environ.items()
            if not (unset and key.startswith(unset))}
    return {**kept, **(env or {})}


def _run(arguments: tuple[str, ...], *, text: bool, cwd: Path, env: Mapping[str, str] | None,
         unset: tuple[str, ...], timeout: float, stdin: str | bytes | None, stdout: Output,
         ) -> subprocess.CompletedProcess[Any]:
    return subprocess.run([sys.executable, "-m", "sqlreview", *arguments], cwd=cwd,
                          input=stdin, stdout=stdout, stderr=subprocess.PIPE, text=text,
                          timeout=timeout, env=environment(env, unset=unset), check=False)


def run_sqlreview(*arguments: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None,
                  unset: tuple[str, ...] = (), timeout: float = 300, stdin: str | None = None,
                  stdout: Output = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """``python -m sqlreview *arguments`` with text output; ``env`` is added to this process's
    environment, from which the variables starting with one of ``unset`` are left out."""
    completed: subprocess.CompletedProcess[str] = _run(
        arguments, text=True, cwd=cwd, env=env, unset=unset, timeout=timeout, stdin=stdin,
        stdout=stdout)
    return completed


def run_sqlreview_bytes(*arguments: str, cwd: Path = ROOT,
                        env: Mapping[str, str] | None = None, unset: tuple[str, ...] = (),
                        timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    """`run_sqlreview`, the output left as the bytes the process wrote."""
    completed: subprocess.CompletedProcess[bytes] = _run(
        arguments, text=False, cwd=cwd, env=env, unset=unset, timeout=timeout, stdin=None,
        stdout=subprocess.PIPE)
    return completed


def run_main(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """``sqlreview.cli.main(arguments)`` in this process: its exit code, stdout and stderr."""
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
