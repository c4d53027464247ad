"""``--since REF``: which files a branch changed, from git.

The files added, modified, renamed or deleted between the merge base of
``REF`` and the working tree (committed, staged, unstaged and untracked alike),
so a pull request's review sees what the pull request brings. git runs in the
current directory, which may be anywhere inside the repository. Nothing here
knows Django: ``select`` maps the paths to migrations.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class SinceError(Exception):
    """git is missing, this is not a repository, or REF is unknown (exit code 2)."""


# git's stderr -> the error to raise
_ErrorFactory = Callable[[str], SinceError]


@dataclass(frozen=True)
class ChangedFile:
    path: Path  # absolute, in the working tree
    status: str  # "added", "modified", "renamed" or "deleted"
    old_path: Path | None = None  # renamed: where it was
    on_ref: bool = False  # the same path exists in REF's tree


@dataclass
class Changes:
    ref: str
    merge_base: str
    root: Path
    files: list[ChangedFile] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


_STATUS = {"A": "added", "M": "modified", "T": "modified", "R": "renamed", "C": "added",
           "D": "deleted"}


def changed_files(ref: str, cwd: Path | None = None) -> Changes:
    """What changed since the merge base of ``ref`` and the working tree."""
    root = Path(_git(["rev-parse", "--show-toplevel"], cwd, _not_a_repository).strip())
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root,
         lambda _message: SinceError(
             f"--since {ref}: no such commit, branch or tag in {root} (in CI, fetch it "
             f"first: `git fetch origin {_branch_hint(ref)}`, or check out with full history, "
             "e.g. actions/checkout with fetch-depth: 0, GitLab GIT_DEPTH: 0)"))
    base = _git(["merge-base", ref, "HEAD"], root, lambda _message: SinceError(
        f"--since {ref}: it has no common history with HEAD (a shallow clone? fetch the "
        "full history: `git fetch --unshallow`)")).strip()
    changes = Changes(ref=ref, merge_base=base, root=root)
    diff = _git(["-c", "core.quotepath=off", "diff", "--name-status", "-z", "-M", base, "--"],
                root, _git_failed)
    changes.files.extend(_parse_name_status(diff, root))
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], root, _git_failed)
    changes.files.extend(ChangedFile(root / name, "added")
                         for name in untracked.split("\0") if name)
    on_ref = _paths_on(ref, root, [f for f in changes.files if f.status == "modified"])
    changes.files = [
        ChangedFile(f.path, f.status, f.old_path, on_ref=changes.relative(f.path) in on_ref)
        for f in changes.files
    ]
    return changes


def _parse_name_status(output: str, root: Path) -> list[ChangedFile]:
    """``git diff --name-status -z``: ``S\\0path\\0``, renames ``R100\\0old\\0new\\0``."""
    fields = output.split("\0")
    files: list[ChangedFile] = []
    position = 0
    while position < len(fields) and fields[position]:
        letter = fields[position][0]
        if letter in "RC":
            old, new = fields[position + 1], fields[position + 2]
            position += 3
            files.append(ChangedFile(root / new, _STATUS[letter],
                                     old_path=root / old if letter == "R" else None))
            continue
        files.append(ChangedFile(root / fields[position + 1], _STATUS.get(letter, "modified")))
        position += 2
    return files


def _paths_on(ref: str, root: Path, files: list[ChangedFile]) -> set[str]:
    """Which of ``files`` exist (by path) in ``ref``'s tree."""
    if not files:
        return set()
    names = [f.path.relative_to(root).as_posix() for f in files]
    listed = _git(["ls-tree", "-r", "--name-only", "-z", ref, "--", *names], root, _git_failed)
    return {name for name in listed.split("\0") if name}


def _git(arguments: list[str], cwd: Path | None, error: _ErrorFactory) -> str:
    try:
        completed = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True,
                                   text=True, check=False)
    except FileNotFoundError:
        raise SinceError("--since needs git, and git is not installed (or not on PATH)"
                         ) from None
    except OSError as failure:
        raise SinceError(f"--since: cannot run git ({failure.strerror or failure})") from None
    if completed.returncode != 0:
        raise error(completed.stderr.strip())
    return completed.stdout


def _not_a_repository(message: str) -> SinceError:
    return SinceError(f"--since needs a git repository, and {Path.cwd()} is not inside one "
                      f"({message.splitlines()[0] if message else 'git rev-parse failed'})")


def _git_failed(message: str) -> SinceError:
    return SinceError(f"--since: git failed: {message.splitlines()[0] if message else '?'}")


def _branch_hint(ref: str) -> str:
    return ref.split("/", 1)[1] if ref.startswith("origin/") else ref
