"""Links from the comment to the migration files at the pull request's head commit.

The report names a file as the review found it (relative to the working
directory); the platform shows it at ``<repository>/blob/<sha>/<path>``
(GitHub) or ``<project>/-/blob/<sha>/<path>`` (GitLab), relative to the
checkout. A file outside the checkout (an installed package's migration) gets
no link, and neither does any file when the CI environment does not say which
commit the pull request's head is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit

from sqlreview.publish.options import PublishOptions
from sqlreview.report.links import FileUrl, no_file_url

GITHUB_DEFAULT_SERVER = "https://github.com"


def file_links(options: PublishOptions, env: Mapping[str, str],
               cwd: Path | None = None) -> FileUrl:
    """The link builder for the platform ``--publish`` names, or one that makes none."""
    here = cwd or Path.cwd()
    if options.platform == "github":
        return github_file_links(env, here)
    if options.platform == "gitlab":
        return gitlab_file_links(env, here)
    return no_file_url


def github_file_links(env: Mapping[str, str], cwd: Path) -> FileUrl:
    server = _web_url(env.get("GITHUB_SERVER_URL", "").strip() or GITHUB_DEFAULT_SERVER)
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    sha = github_head_sha(env)
    if server is None or not repository or sha is None:
        return no_file_url
    root = Path(env.get("GITHUB_WORKSPACE", "").strip() or cwd)
    return _builder(f"{server}/{repository}/blob/{sha}", root, cwd)


def gitlab_file_links(env: Mapping[str, str], cwd: Path) -> FileUrl:
    # The source project has the head commit (a fork's merge request too).
    project = _web_url(next((value for name in ("CI_MERGE_REQUEST_SOURCE_PROJECT_URL",
                                                "CI_MERGE_REQUEST_PROJECT_URL", "CI_PROJECT_URL")
                             if (value := env.get(name, "").strip())), ""))
    sha = (env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", "").strip()
           or env.get("CI_COMMIT_SHA", "").strip())
    if project is None or not _is_sha(sha):
        return no_file_url
    root = Path(env.get("CI_PROJECT_DIR", "").strip() or cwd)
    return _builder(f"{project}/-/blob/{sha}", root, cwd)


def github_head_sha(env: Mapping[str, str]) -> str | None:
    """``pull_request.head.sha`` of the event (GITHUB_SHA is the merge commit)."""
    path = env.get("GITHUB_EVENT_PATH", "").strip()
    if not path:
        return None
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        sha = payload["pull_request"]["head"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) and _is_sha(sha) else None


def repository_path(path: str, root: Path, cwd: Path) -> str | None:
    """``path`` relative to the checkout, or None when it lies outside it."""
    absolute = Path(path) if Path(path).is_absolute() else cwd / path
    relative = os.path.relpath(os.path.normpath(absolute), os.path.normpath(root.absolute()))
    if relative == os.curdir or relative.split(os.sep)[0] == os.pardir:
        return None
    return Path(relative).as_posix()


def _builder(base: str, root: Path, cwd: Path) -> FileUrl:
    def file_url(path: str, line: int | None) -> str | None:
        relative = repository_path(path, root, cwd)
        if relative is None:
            return None
        anchor = f"#L{line}" if line else ""
        return f"{base}/{quote(relative, safe='/')}{anchor}"
    return file_url


def _web_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        return None
    return url.rstrip("/")


def _is_sha(text: str) -> bool:
    return 7 <= len(text) <= 64 and all(c in "0123456789abcdef" for c in text.lower())
