"""An in-memory GitHub and GitLab REST API on 127.0.0.1, for the publishing tests.

It implements just the endpoints sqlreview uses, the way the real services
behave where it matters: token headers (401 otherwise), pagination (GitHub's
``Link`` header; GitLab's ``X-Next-Page``, and ``Link`` when asked), GitHub's
65,536-character body limit (422), 404 for unknown pull requests and comments.
Tests can queue faults (a status code for the next matching requests) and make
the token read-only (403 on writes). Every request is logged.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

GITHUB_MAX_BODY = 65_536
GITHUB_LIST = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments")
GITHUB_ONE = re.compile(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)")
GITLAB_LIST = re.compile(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes")
GITLAB_ONE = re.compile(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes/(\d+)")


@dataclass
class Logged:
    method: str
    path: str  # raw, still percent-encoded
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 0


@dataclass
class Fault:
    status: int
    method: str | None
    headers: dict[str, str]
    times: int


@dataclass
class FakeHub:
    token: str = field(default_factory=lambda: "ghs_" + secrets.token_hex(20))
    github: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    gitlab: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    read_only: bool = False
    gitlab_links: bool = False
    url: str = ""
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- setting up -------------------------------------------------------

    def fail(self, status: int, *, method: str | None = None, times: int = 1,
             headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` requests (of ``method``) with ``status``."""
        self.faults.append(Fault(status, method, headers or {}, times))

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_github_comment(self, repo: str, number: int, body: str,
                           author: str = "someone") -> dict[str, Any]:
        comment_id = self.new_id()
        comment = {"id": comment_id, "body": body, "user": {"login": author},
                   "html_url": f"https://github.example/{repo}/pull/{number}"
                               f"#issuecomment-{comment_id}"}
        self.github.setdefault((repo, number), []).append(comment)
        return comment

    def add_gitlab_note(self, project: str, iid: int, body: str, author: str = "someone",
                        system: bool = False) -> dict[str, Any]:
        note = {"id": self.new_id(), "body": body, "system": system,
                "author": {"username": author}}
        self.gitlab.setdefault((project, iid), []).append(note)
        return note

    # -- looking -------------------------------------------------------

    def writes(self) -> list[Logged]:
        return [entry for entry in self.log if entry.method != "GET"]

    # -- serving -------------------------------------------------------

    def handle(self, method: str, raw_path: str, query: dict[str, str],
               headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            entry = Logged(method, raw_path, query, headers)
            self.log.append(entry)
            status, reply_headers, document = self._route(method, raw_path, query, headers,
                                                          body)
            entry.status = status
            return status, reply_headers, document

    def _fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.method in (None, method) and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], Any]:
        fault = self._fault(method)
        if fault is not None:
            return fault.status, fault.headers, {"message": f"injected {fault.status}"}
        payload = json.loads(body) if body else None
        if path.startswith("/repos/"):
            if headers.get("authorization") != f"Bearer {self.token}":
                return 401, {}, {"message": "Bad credentials"}
            return self._github(method, path, query, payload)
        if path.startswith("/api/v4/"):
            if headers.get("private-token") != self.token:
                return 401, {}, {"message": "401 Unauthorized"}
            return self._gitlab(method, path, query, payload)
        return 404, {}, {"message": "Not Found"}

    def _github(self, method: str, path: str, query: dict[str, str],
                payload: Any) -> tuple[int, dict[str, str], Any]:
        if method != "GET" and self.read_only:
            return 403, {}, {"message": "Resource not accessible by integration"}
        if match := GITHUB_LIST.fullmatch(path):
            thread = self.github.get((match.group(1), int(match.group(2))))
            if thread is None:
                return 404, {}, {"message": "Not Found"}
            if method == "GET":
                return self._page(thread, path, query, default_per_page=30, links=True)
            if method == "POST":
                if len(payload["body"]) > GITHUB_MAX_BODY:
                    return 422, {}, {"message": "Validation Failed"}
                return 201, {}, self.add_github_comment(match.group(1), int(match.group(2)),
                                                        payload["body"], author="sqlreview-bot")
        if match := GITHUB_ONE.fullmatch(path):
            found = self._find(self.github, int(match.group(2)), repo=match.group(1))
            if found is None:
                return 404, {}, {"message": "Not Found"}
            thread, comment = found
            if method == "PATCH":
                if len(payload["body"]) > GITHUB_MAX_BODY:
                    return 422, {}, {"message": "Validation Failed"}
                comment["body"] = payload["body"]
                return 200, {}, comment
            if method == "DELETE":
                thread.remove(comment)
                return 204, {}, None
        return 404, {}, {"message": "Not Found"}

    def _gitlab(self, method: str, path: str, query: dict[str, str],
                payload: Any) -> tuple[int, dict[str, str], Any]:
        if method != "GET" and self.read_only:
            return 403, {}, {"message": "403 Forbidden"}
        if match := GITLAB_LIST.fullmatch(path):
            thread = self.gitlab.get((match.group(1), int(match.group(2))))
            if thread is None:
                return 404, {}, {"message": "404 Not found"}
            if method == "GET":
                ordered = thread if query.get("sort") == "asc" else thread[::-1]
                return self._page(ordered, path, query, default_per_page=20,
                                  links=self.gitlab_links, next_page_header=True)
            if method == "POST":
                return 201, {}, self.add_gitlab_note(match.group(1), int(match.group(2)),
                                                     payload["body"], author="sqlreview-bot")
        if match := GITLAB_ONE.fullmatch(path):
            thread = self.gitlab.get((match.group(1), int(match.group(2)))) or []
            note = next((n for n in thread if n["id"] == int(match.group(3))), None)
            if note is None:
                return 404, {}, {"message": "404 Not found"}
            if method == "PUT":
                note["body"] = payload["body"]
                return 200, {}, note
            if method == "DELETE":
                thread.remove(note)
                return 204, {}, None
        return 404, {}, {"message": "404 Not found"}

    @staticmethod
    def _find(threads: dict[tuple[str, int], list[dict[str, Any]]], comment_id: int,
              repo: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
        for (thread_repo, _number), thread in threads.items():
            for comment in thread:
                if comment["id"] == comment_id and thread_repo == repo:
                    return thread, comment
        return None

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str], *,
              default_per_page: int, links: bool, next_page_header: bool = False
              ) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", default_per_page)), 100)
        page = int(query.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        headers: dict[str, str] = {}
        if links:
            def link(number: int) -> str:
                target = urlencode({**query, "page": number})
                return f'<{self.url}{path}?{target}>'
            parts = ([f'{link(page + 1)}; rel="next"'] if page < last else [])
            parts.append(f'{link(last)}; rel="last"')
            headers["Link"] = ", ".join(parts)
        if next_page_header:
            headers["X-Page"] = str(page)
            headers["X-Next-Page"] = str(page + 1) if page < last else ""
            headers["X-Total"] = str(len(items))
        return 200, headers, items[(page - 1) * per_page:page * per_page]


def make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, reply_headers, document = hub.handle(self.command, parts.path, query,
                                                         headers, body)
            data = b"" if document is None else json.dumps(document).encode()
            self.send_response(status)
            for key, value in reply_headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def serve() -> Iterator[FakeHub]:
    hub = FakeHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(hub))
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
