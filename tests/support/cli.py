"""The one way the tests run sqlreview: in this process (`run_main` through ``capsys``,
`run_isolated` with an environment of its own) or as users and CI do, ``python -m
sqlreview`` in a subprocess (`run_sqlreview`, `run_sqlreview_bytes`)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from unittest import mock

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


def sqlreview_argv(*arguments: str) -> list[str]:
    """``python -m sqlreview *arguments`` as a command, for a test that drives the process
    itself (signals, closed descriptors)."""
    return [sys.executable, "-m", "sqlreview", *arguments]


def _run(arguments: tuple[str, ...], *, text: bool, cwd: Path, env: Mapping[str, str] | None,
         unset: tuple[str, ...], timeout: float | None, input: str | None, stdin: Output,
         stdout: Output, **process: Any) -> subprocess.CompletedProcess[Any]:
    return subprocess.run(sqlreview_argv(*arguments), cwd=cwd, input=input, stdin=stdin,
                          stdout=stdout, stderr=subprocess.PIPE, text=text, timeout=timeout,
                          env=environment(env, unset=unset), check=False, **process)


def run_sqlreview(*arguments: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None,
                  unset: tuple[str, ...] = (), timeout: float | None = 300,
                  input: str | None = None,
                  stdin: Output = None, stdout: Output = subprocess.PIPE, **process: Any,
                  ) -> subprocess.CompletedProcess[str]:
    """``python -m sqlreview *arguments`` with text output; ``env`` is added to this process's
    environment, from which the variables starting with one of ``unset`` are left out;
    ``input`` is written to its standard input (or ``stdin`` is its standard input);
    ``process`` goes to ``subprocess.run`` as it is (``encoding``, ``preexec_fn``)."""
    completed: subprocess.CompletedProcess[str] = _run(
        arguments, text=True, cwd=cwd, env=env, unset=unset, timeout=timeout, input=input,
        stdin=stdin, stdout=stdout, **process)
    return completed


def run_sqlreview_bytes(*arguments: str, cwd: Path = ROOT,
                        env: Mapping[str, str] | None = None, unset: tuple[str, ...] = (),
                        timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    """`run_sqlreview`, the output left as the bytes the process wrote."""
    completed: subprocess.CompletedProcess[bytes] = _run(
        arguments, text=False, cwd=cwd, env=env, unset=unset, timeout=timeout, input=None,
        stdin=None, stdout=subprocess.PIPE)
    return completed


def run_main(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    """``sqlreview.cli.main(arguments)`` in this process: its exit code, stdout and stderr."""
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@dataclass
class Run:
    """An in-process run: the exit code and what it wrote."""

    code: int
    out: str
    err: str


def run_isolated(arguments: Sequence[str], *, env: Mapping[str, str],
                 entry: Callable[[list[str]], int] = main, exit_is_code: bool = True) -> Run:
    """``entry(arguments)`` in this process with exactly ``env`` as its environment, its
    output captured; argparse refusing a flag (``SystemExit``) is its exit code, unless
    ``exit_is_code`` is false (an entry that must return its code, never exit)."""
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.dict(os.environ, dict(env), clear=True), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = entry(list(arguments))
        except SystemExit as error:
            if not exit_is_code:
                raise
            code = int(error.code or 0)
    return Run(code, out.getvalue(), err.getvalue())
