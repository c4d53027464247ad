"""Where a reviewed file is in the repository, for the formats a code host reads.

GitHub (SARIF, annotations) and GitLab (Code Quality) place a finding by its path from
the repository's root, whatever directory sqlreview ran in (``backend/`` in a monorepo).
The review names files relative to the current directory (or absolute); these helpers
turn that into the path from ``git rev-parse --show-toplevel``. Outside a repository
(no git, or git does not know the directory) paths stay as the review names them.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path, PurePosixPath


@functools.lru_cache(maxsize=8)
def _toplevel(directory: str) -> Path | None:
    try:
        completed = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=directory,
                                   capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    top = completed.stdout.strip()
    return Path(top).resolve() if completed.returncode == 0 and top else None


def repository_root() -> Path | None:
    """The git top level of the current directory, or None."""
    try:
        return _toplevel(str(Path.cwd()))
    except OSError:  # the current directory was removed
        return None


def repository_path(file: str) -> str | None:
    """``file`` (as the review names it) from the repository's root, POSIX style; None for
    a file outside the repository (e.g. an absolute path elsewhere) or with no repository."""
    root = repository_root()
    if root is None:
        return None
    path = Path(file)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        return absolute.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None


def host_path(file: str) -> str:
    """The path to give a code host: from the repository's root when the file is in it,
    else as the review names it (POSIX separators)."""
    return repository_path(file) or PurePosixPath(file.replace("\\", "/")).as_posix()


__all__ = ["host_path", "repository_path", "repository_root"]
