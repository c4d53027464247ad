"""What the publishing tests share: the fake GitHub/GitLab's repositories and their busy
threads, and the CLI run against it (tests/publish/conftest.py makes them fixtures)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.publish.fakehub import FakeHub
from tests.support.cli import Run, environment, run_isolated, run_sqlreview

REPO = "acme/shop"
PR = 7
PROJECT = "group/sub/shop"  # a path id: sqlreview must URL-encode it
PROJECT_KEY = "group%2Fsub%2Fshop"
MR = 3
OTHERS = 150
OTHER_BOT = "<!-- other-bot -->\nDeploy preview ready."
# Not ours: the marker is not the first line, or it belongs to another key.
QUOTE = "> <!-- sqlreview -->\n> critical: rewritten\nIs this really a problem?"
MENTION = "Looks fine.\n<!-- sqlreview -->"
OTHER_KEY = "<!-- sqlreview:docs -->\nanother sqlreview job's comment"
HIGH_SQL = "CREATE INDEX shop_order_note_idx ON shop_order (note);\n"
CLEAN_SQL = "CREATE INDEX CONCURRENTLY shop_order_status_idx ON shop_order (status);\n"
CRITICAL_SQL = "VACUUM FULL shop_order;\n"  # a rewrite under ACCESS EXCLUSIVE


def seed_others() -> list[str]:
    bodies = [f"comment {n} by a reviewer" for n in range(OTHERS - 4)]
    for index, body in zip((10, 40, 70, 100), (OTHER_BOT, QUOTE, MENTION, OTHER_KEY),
                           strict=True):
        bodies.insert(index, body)
    return bodies


Result = Run  # what the CLI returned in this process or in a subprocess

# The suite may itself run in GitHub Actions or GitLab CI: none of theirs may leak in.
NOT_OURS = ("GITHUB_", "CI_", "GITLAB_", "SQLREVIEW_", "HTTP_PROXY", "HTTPS_PROXY",
            "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Cli:
    hub: FakeHub
    tmp: Path

    def base_env(self) -> dict[str, str]:
        return environment({"SQLREVIEW_PUBLISH_BACKOFF": "0"}, unset=NOT_OURS)

    def github_env(self, **overrides: str) -> dict[str, str]:
        event = self.tmp / "event.json"
        event.write_text(json.dumps({"action": "synchronize",
                                     "pull_request": {"number": PR}}), encoding="utf-8")
        env = {"GITHUB_TOKEN": self.hub.token, "GITHUB_REPOSITORY": REPO,
               "GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": self.hub.url,
               "GITHUB_EVENT_NAME": "pull_request"}
        return {**env, **overrides}

    def gitlab_env(self, **overrides: str) -> dict[str, str]:
        env = {"SQLREVIEW_GITLAB_TOKEN": self.hub.token, "CI_API_V4_URL": f"{self.hub.url}/api/v4",
               "CI_PROJECT_ID": PROJECT, "CI_MERGE_REQUEST_IID": str(MR),
               "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example/group/sub/shop"}
        return {**env, **overrides}

    def sql_file(self, text: str, name: str = "change.sql") -> str:
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def run(self, *arguments: str, env: dict[str, str]) -> Result:
        """The CLI in this process (fast): ``sqlreview.cli.main`` with exactly ``env``."""
        return run_isolated(arguments, env={**self.base_env(), **env})

    def spawn(self, *arguments: str, env: dict[str, str], timeout: float = 120) -> Result:
        """The CLI as users run it: ``python -m sqlreview`` in a subprocess."""
        completed = run_sqlreview(*arguments, env={"SQLREVIEW_PUBLISH_BACKOFF": "0", **env},
                                  unset=NOT_OURS, timeout=timeout)
        return Result(completed.returncode, completed.stdout, completed.stderr)
