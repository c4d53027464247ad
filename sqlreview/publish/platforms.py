"""Where the comment goes: a GitHub pull request or a GitLab merge request.

Each platform is configured from its CI environment (flags override) and
knows its REST endpoints and what its error statuses mean for the user.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from sqlreview.publish.options import PublishOptions
from sqlreview.publish.transport import (
    Api,
    HttpStatusError,
    PublishError,
    Secrets,
    backoff_base,
    json_of,
)

GITHUB_API_VERSION = "2022-11-28"
GITHUB_DEFAULT_API = "https://api.github.com"
GITHUB_MAX_BODY = 65_536
GITLAB_MAX_BODY = 1_000_000
PER_PAGE = 100
REPOSITORY_PATTERN = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url}


class Platform(Protocol):
    max_body: int

    @property
    def where(self) -> str:
        """``pull request #12 of owner/repo``, for messages."""

    def comments(self) -> Iterator[Comment]: ...
    def create(self, body: str) -> Comment: ...
    def update(self, comment: Comment, body: str) -> Comment: ...
    def delete(self, comment: Comment) -> None: ...
    def explain(self, error: HttpStatusError) -> str: ...
    def close(self) -> None: ...


def connect(options: PublishOptions, env: Mapping[str, str], secrets: Secrets) -> Platform:
    if options.platform == "github":
        return GitHub.from_env(options, env, secrets)
    if options.platform == "gitlab":
        return GitLab.from_env(options, env, secrets)
    raise PublishError(f"unknown platform {options.platform!r}: use github or gitlab")


def _setting(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _token(env: Mapping[str, str], names: tuple[str, ...], how: str,
           secrets: Secrets) -> str:
    for name in names:
        raw = env.get(name, "")
        secrets.add(raw)
        secrets.add(raw.strip())
        token = raw.strip()
        if not token:
            continue
        if not (token.isascii() and token.isprintable() and " " not in token):
            # Said without the value: an HTTP library would quote it in its error.
            raise PublishError(f"{name} contains spaces, control or non-ASCII characters: "
                               "copy the token again")
        return token
    raise PublishError(f"{' or '.join(names)} is not set: {how}")


def _api_url(env: Mapping[str, str], name: str, default: str | None, flag: str) -> str:
    url = _setting(env, name) or default
    if not url:
        raise PublishError(f"{name} is not set: set it to the API's base URL (GitLab CI sets "
                           f"it) to publish with {flag}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublishError(f"{name}={url!r} is not an http(s) URL")
    if parts.username or parts.password or parts.query:
        raise PublishError(f"{name} must be a plain URL (no credentials, no query)")
    return url.rstrip("/")


def _comment(item: Any, url_key: str | None = None) -> Comment:
    identity = item.get("id") if isinstance(item, dict) else None
    if not isinstance(identity, int):
        raise PublishError("the API answered with something that is not a comment "
                           "(no numeric id): is the API URL right?")
    body = item.get("body")
    url = item.get(url_key) if url_key else None
    return Comment(id=identity, body=body if isinstance(body, str) else "",
                   url=url if isinstance(url, str) else None)


@dataclass
class GitHub:
    api: Api
    repository: str
    number: int
    max_body: int = GITHUB_MAX_BODY

    @property
    def where(self) -> str:
        return f"pull request #{self.number} of {self.repository}"

    @classmethod
    def from_env(cls, options: PublishOptions, env: Mapping[str, str],
                 secrets: Secrets) -> GitHub:
        token = _token(env, ("GITHUB_TOKEN",),
                       "in the workflow step add `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` "
                       "to publish with --publish github", secrets)
        repository = _setting(env, "GITHUB_REPOSITORY")
        if not repository:
            raise PublishError("GITHUB_REPOSITORY is not set: set it to owner/repo (GitHub "
                               "Actions sets it) to publish with --publish github")
        if not REPOSITORY_PATTERN.fullmatch(repository):
            raise PublishError(f"GITHUB_REPOSITORY={repository!r} is not owner/repo")
        number = options.pr or github_pr_number(env)
        api = Api(_api_url(env, "GITHUB_API_URL", GITHUB_DEFAULT_API, "--publish github"),
                  headers={"Authorization": f"Bearer {token}",
                           "Accept": "application/vnd.github+json",
                           "X-GitHub-Api-Version": GITHUB_API_VERSION,
                           "User-Agent": "sqlreview"},
                  secrets=secrets, debug=options.debug, backoff=backoff_base())
        return cls(api=api, repository=repository, number=number)

    def _issue(self) -> str:
        return self.api.url(f"/repos/{self.repository}/issues/{self.number}/comments")

    def _single(self, comment: Comment) -> str:
        return self.api.url(f"/repos/{self.repository}/issues/comments/{comment.id}")

    def comments(self) -> Iterator[Comment]:
        for page in self.api.pages(self._issue(), action=f"list the comments of {self.where}",
                                   params={"per_page": PER_PAGE}):
            yield from (_comment(item, "html_url") for item in page)

    def create(self, body: str) -> Comment:
        response = self.api.request("POST", self._issue(), json={"body": body},
                                    action=f"comment on {self.where}")
        return _comment(json_of(response, f"read the answer of {self.where}"), "html_url")

    def update(self, comment: Comment, body: str) -> Comment:
        response = self.api.request("PATCH", self._single(comment), json={"body": body},
                                    action=f"update comment {comment.id} on {self.where}")
        return _comment(json_of(response, f"read the answer of {self.where}"), "html_url")

    def delete(self, comment: Comment) -> None:
        self.api.request("DELETE", self._single(comment),
                         action=f"delete comment {comment.id} on {self.where}")

    def explain(self, error: HttpStatusError) -> str:
        hints = {
            401: "GitHub rejected GITHUB_TOKEN (401 Unauthorized): it is invalid or expired",
            403: "the token lacks permission (403 Forbidden): give the workflow job "
                 "`permissions: pull-requests: write` (and `issues: write`); a pull request "
                 "from a fork only gets a read-only GITHUB_TOKEN",
            404: f"{self.where} was not found (404): check GITHUB_REPOSITORY and the pull "
                 "request number (--pr); a token without access to a private repository, or "
                 "without `pull-requests: write`, also gets 404",
        }
        return _explained(error, hints)

    def close(self) -> None:
        self.api.close()


def github_pr_number(env: Mapping[str, str]) -> int:
    """The pull request of the workflow run, from its event payload."""
    path = _setting(env, "GITHUB_EVENT_PATH")
    if not path:
        raise PublishError("cannot tell which pull request to comment on: GITHUB_EVENT_PATH is "
                           "not set (not in GitHub Actions?); pass --pr N")
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise PublishError(f"cannot read the event payload GITHUB_EVENT_PATH={path}: {reason}; "
                           "pass --pr N") from None
    for key in ("pull_request", "issue"):
        number = payload.get(key, {}).get("number") if isinstance(payload, dict) else None
        if isinstance(number, int) and number > 0:
            return number
    event = _setting(env, "GITHUB_EVENT_NAME") or "this"
    raise PublishError(f"the {event} event has no pull request (no pull_request.number nor "
                       "issue.number in GITHUB_EVENT_PATH): run the workflow `on: "
                       "pull_request`, or pass --pr N")


@dataclass
class GitLab:
    api: Api
    project: str
    iid: int
    web_url: str | None = None
    max_body: int = GITLAB_MAX_BODY

    @property
    def where(self) -> str:
        return f"merge request !{self.iid} of project {self.project}"

    @classmethod
    def from_env(cls, options: PublishOptions, env: Mapping[str, str],
                 secrets: Secrets) -> GitLab:
        token = _token(env, ("SQLREVIEW_GITLAB_TOKEN", "GITLAB_TOKEN"),
                       "create a project access token with the `api` scope and the Reporter "
                       "role, store it as a masked CI/CD variable SQLREVIEW_GITLAB_TOKEN, to "
                       "publish with --publish gitlab (CI_JOB_TOKEN cannot write notes)",
                       secrets)
        base = _api_url(env, "CI_API_V4_URL", None, "--publish gitlab")
        project = _setting(env, "CI_PROJECT_ID")
        if not project:
            raise PublishError("CI_PROJECT_ID is not set: set it to the project's numeric id or "
                               "path (GitLab CI sets it) to publish with --publish gitlab")
        iid = options.pr or _gitlab_iid(env)
        api = Api(base, headers={"PRIVATE-TOKEN": token, "User-Agent": "sqlreview"},
                  secrets=secrets, debug=options.debug, backoff=backoff_base())
        project_url = _setting(env, "CI_MERGE_REQUEST_PROJECT_URL") or _setting(
            env, "CI_PROJECT_URL")
        web_url = f"{project_url}/-/merge_requests/{iid}" if project_url else None
        return cls(api=api, project=project, iid=iid, web_url=web_url)

    def _notes(self) -> str:
        return self.api.url(f"/projects/{quote(self.project, safe='')}/merge_requests/"
                            f"{self.iid}/notes")

    def _note(self, comment: Comment) -> str:
        return f"{self._notes()}/{comment.id}"

    def _with_url(self, comment: Comment) -> Comment:
        url = f"{self.web_url}#note_{comment.id}" if self.web_url else None
        return Comment(id=comment.id, body=comment.body, url=url)

    def comments(self) -> Iterator[Comment]:
        params = {"per_page": PER_PAGE, "sort": "asc", "order_by": "created_at"}
        for page in self.api.pages(self._notes(), action=f"list the notes of {self.where}",
                                   params=params):
            yield from (self._with_url(_comment(item)) for item in page
                        if not item.get("system"))

    def create(self, body: str) -> Comment:
        response = self.api.request("POST", self._notes(), json={"body": body},
                                    action=f"comment on {self.where}")
        return self._with_url(_comment(json_of(response, f"read the answer of {self.where}")))

    def update(self, comment: Comment, body: str) -> Comment:
        response = self.api.request("PUT", self._note(comment), json={"body": body},
                                    action=f"update note {comment.id} on {self.where}")
        return self._with_url(_comment(json_of(response, f"read the answer of {self.where}")))

    def delete(self, comment: Comment) -> None:
        self.api.request("DELETE", self._note(comment),
                         action=f"delete note {comment.id} on {self.where}")

    def explain(self, error: HttpStatusError) -> str:
        hints = {
            401: "GitLab rejected the token (401 Unauthorized): SQLREVIEW_GITLAB_TOKEN or "
                 "GITLAB_TOKEN is invalid, expired or revoked",
            403: "the token lacks permission (403 Forbidden): it needs the `api` scope and at "
                 "least the Reporter role on the project",
            404: f"{self.where} was not found (404): check CI_PROJECT_ID and "
                 "CI_MERGE_REQUEST_IID (or --pr), and that the token (`api` scope, Reporter "
                 "role or more) can see the project",
        }
        return _explained(error, hints)

    def close(self) -> None:
        self.api.close()


def _gitlab_iid(env: Mapping[str, str]) -> int:
    text = _setting(env, "CI_MERGE_REQUEST_IID")
    if not text:
        raise PublishError("cannot tell which merge request to comment on: "
                           "CI_MERGE_REQUEST_IID is not set (the job runs in a merge request "
                           "pipeline only with `rules: - if: $CI_PIPELINE_SOURCE == "
                           "\"merge_request_event\"`); pass --pr N")
    if not text.isdigit() or int(text) < 1:
        raise PublishError(f"CI_MERGE_REQUEST_IID={text!r} is not a merge request number")
    return int(text)


def _explained(error: HttpStatusError, hints: dict[int, str]) -> str:
    hint = hints.get(error.status)
    if hint is None:
        text = str(error)
        if 300 <= error.status < 400:
            text += (f": the API redirects (to {error.location or 'another address'}); point "
                     "the API URL or repository variable at the new location")
        elif error.attempts > 1:
            text += f", after {error.attempts} attempts"
        return text
    detail = f" (the server says: {error.detail})" if error.detail else ""
    return f"cannot {error.action}: {hint}{detail}"
