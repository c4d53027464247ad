"""What a CI runner does to a job: SIGTERM, SIGINT, twice, SIGKILL. Nothing may remain.

Each run is the real CLI with its own embedded server, in a private TMPDIR,
so every ``sqlreview-pg-*`` directory and every process naming that TMPDIR
belongs to this run; after the signal the test checks ``/proc`` and the
filesystem.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import ROOT, run_sqlreview, sqlreview_argv
from tests.support.reviews import write_synthetic
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc; the death signal is Linux's")


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A private directory outside pytest's basetemp, which a concurrent pytest
    session may prune while a test's server lives in it."""
    directory = Path(tempfile.mkdtemp(prefix="sqlreview-signals-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("signals")
    write_synthetic(directory, 150)
    return directory


def start(project: Path, tmp: Path) -> subprocess.Popen[str]:
    tmp.mkdir(exist_ok=True)
    return subprocess.Popen(
        sqlreview_argv("--all", "--settings", "synthproject.settings", "--pythonpath",
                       str(project), "--no-cache", "--format", "json", "--fail-on", "never"),
        cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )


def servers_dirs(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("sqlreview-pg-*"))


def processes_naming(tmp: Path) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if str(tmp) in command and state != "Z":
            found.append(f"{entry.name}: {command}")
    return found


def server_ready(tmp: Path) -> bool:
    for root in servers_dirs(tmp):
        try:
            lines = (root / "data" / "postmaster.pid").read_text().splitlines()
        except OSError:
            continue
        if len(lines) >= 8 and lines[7].strip() == "ready":
            return True
    return False


def assert_nothing_left(tmp: Path) -> None:
    wait_for(lambda: not processes_naming(tmp), timeout=20)
    assert servers_dirs(tmp) == []


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("phase", ["server start", "replay", "replay, twice"])
def test_an_interrupt_at_any_phase_leaves_nothing(project: Path, tmp_path: Path,
                                                  sent: signal.Signals, phase: str) -> None:
    tmp = tmp_path / "tmp"
    process = start(project, tmp)
    if phase == "server start":
        wait_for(lambda: bool(servers_dirs(tmp)), timeout=120, process=process)
    else:
        wait_for(lambda: server_ready(tmp), timeout=120, process=process)
        time.sleep(1.5)  # into the replay
    process.send_signal(sent)
    if phase.endswith("twice"):
        time.sleep(0.05)
        process.send_signal(sent)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert "interrupted" in stderr
    assert_nothing_left(tmp)


def test_an_interrupt_during_teardown_leaves_nothing(project: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    process = start(project, tmp)
    wait_for(lambda: server_ready(tmp), timeout=120, process=process)
    wait_for(lambda: process.poll() is not None or not server_ready(tmp), timeout=300)
    if process.poll() is None:  # the server is stopping: the run is tearing down
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode in (0, 130), stderr
    assert "Traceback" not in stderr
    assert_nothing_left(tmp)


def test_sigkill_stops_the_server_now_and_the_next_run_sweeps_its_files(
    project: Path, tmp_path: Path,
) -> None:
    tmp = tmp_path / "tmp"
    process = start(project, tmp)
    wait_for(lambda: server_ready(tmp), timeout=120, process=process)
    time.sleep(1.0)
    process.kill()
    process.communicate(timeout=60)
    wait_for(lambda: not processes_naming(tmp), timeout=20)  # the postmaster died with it
    (left,) = servers_dirs(tmp)
    # The next run sweeps the directory its dead owner left; its own server is gone at exit.
    again = run_sqlreview(
        "accounts:0001", "--settings", "synthproject.settings", "--pythonpath", str(project),
        "--no-cache", "--fail-on", "never", env={"TMPDIR": str(tmp)},
    )
    assert again.returncode == 0, again.stderr
    assert not left.exists()
    assert_nothing_left(tmp)
