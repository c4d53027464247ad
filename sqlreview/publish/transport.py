"""HTTP for publishing: retries with backoff, pagination, and a token that never leaks.

The token travels only in a request header, never in a URL. Every message this
module builds goes through ``Secrets.redact`` as well, in case a server echoes
the token back in an error body.
"""

from __future__ import annotations

import email.utils
import os
import random
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    import httpx

MAX_ATTEMPTS = 4
MAX_WAIT_SECONDS = 60.0
DEFAULT_BACKOFF_SECONDS = 1.0
BACKOFF_ENV = "SQLREVIEW_PUBLISH_BACKOFF"
TIMEOUT_SECONDS = 30.0
MAX_PAGES = 200  # 20,000 comments: a loop guard, not a limit anyone meets
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class PublishError(Exception):
    """Publishing failed; the message is already redacted and says what to do."""


@dataclass
class Secrets:
    values: list[str] = field(default_factory=list)

    def add(self, value: str) -> None:
        if value:
            self.values.extend(dict.fromkeys([value, quote(value, safe="")]))

    def redact(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, "***")
        return text


def import_httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise PublishError("publishing needs httpx, which is not installed: "
                           "pip install 'sqlreview[publish]'") from None
    return httpx


def backoff_base() -> float:
    text = os.environ.get(BACKOFF_ENV, "").strip()
    if not text:
        return DEFAULT_BACKOFF_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_WAIT_SECONDS:
        raise PublishError(f"{BACKOFF_ENV}={text!r} is not a number of seconds between 0 and "
                           f"{MAX_WAIT_SECONDS:g}")
    return value


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asks us to wait (``Retry-After`` as seconds or an HTTP date,
    or GitHub's ``x-ratelimit-reset`` once the budget is spent), or None."""
    now = time.time() if now is None else now
    value = headers.get("retry-after", "").strip()
    if value:
        if value.isdigit():
            return float(value)
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, moment.timestamp() - now)
    reset = headers.get("x-ratelimit-reset", "").strip()
    if headers.get("x-ratelimit-remaining", "").strip() == "0" and reset.isdigit():
        return max(0.0, float(reset) - now)
    return None


def is_rate_limited(response: httpx.Response) -> bool:
    # GitHub signals its (secondary) rate limits with 403 as well as 429.
    if response.status_code == 429:
        return True
    return response.status_code == 403 and (
        "retry-after" in response.headers
        or response.headers.get("x-ratelimit-remaining", "").strip() == "0")


def wait_before(attempt: int, base: float, response: httpx.Response | None) -> float:
    """The pause before attempt ``attempt + 1``: what the server asked, else exponential
    (capped); more than ``MAX_WAIT_SECONDS`` is returned as is, for the caller to give up."""
    asked = retry_after(response.headers) if response is not None else None
    if asked is None:
        exponential = base * float(2 ** (attempt - 1)) * (1 + random.random() / 4)
        return min(exponential, MAX_WAIT_SECONDS)
    return asked


@dataclass
class Api:
    """One API host, one token header; every request retried and logged the same way."""

    base_url: str
    headers: dict[str, str]
    secrets: Secrets
    debug: bool = False
    backoff: float = DEFAULT_BACKOFF_SECONDS
    client: Any = None

    def __post_init__(self) -> None:
        lib = import_httpx()
        # Redirects are not followed: a custom token header would go along to any host.
        self.client = lib.Client(headers=self.headers, timeout=TIMEOUT_SECONDS,
                                   follow_redirects=False, trust_env=True)

    def close(self) -> None:
        self.client.close()

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def request(self, method: str, url: str, *, action: str,
                json: dict[str, Any] | None = None,
                params: dict[str, Any] | None = None) -> httpx.Response:
        """A 2xx response (after retries), or a PublishError saying why not."""
        lib = import_httpx()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response: httpx.Response | None = None
            try:
                response = self.client.request(method, url, json=json, params=params)
            except lib.TransportError as error:
                problem = f"{type(error).__name__}: {error}"
                self.log(f"{method} {url} failed: {problem}")
                if attempt == MAX_ATTEMPTS:
                    raise PublishError(self.secrets.redact(
                        f"cannot {action}: {urlsplit(url).netloc} did not answer after "
                        f"{attempt} attempts ({problem})")) from None
            else:
                self.log(f"{method} {response.request.url} -> {response.status_code}")
                retryable = response.status_code in RETRY_STATUSES or is_rate_limited(response)
                if not retryable or attempt == MAX_ATTEMPTS:
                    return self.checked(response, action, attempt)
            pause = wait_before(attempt, self.backoff, response)
            if pause > MAX_WAIT_SECONDS and response is not None:
                # Waiting that long in a CI job helps nobody; the next push will publish.
                raise PublishError(self.secrets.redact(
                    f"cannot {action}: rate limited (HTTP {response.status_code}), the API asks "
                    f"to wait {pause:.0f} seconds: run the job again later"))
            self.log(f"retrying in {pause:.1f}s (attempt {attempt + 1} of {MAX_ATTEMPTS})")
            time.sleep(pause)
        raise AssertionError("unreachable")

    def checked(self, response: httpx.Response, action: str, attempts: int) -> httpx.Response:
        if response.status_code < 300:
            return response
        raise HttpStatusError(response.status_code, action,
                              self.secrets.redact(server_message(response)), attempts,
                              self.secrets.redact(response.headers.get("location", "")))

    def pages(self, url: str, *, action: str,
              params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Each page of a paginated list: ``Link: rel="next"``, else ``X-Next-Page``."""
        next_url: str | None = url
        next_params: dict[str, Any] | None = params
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self.request("GET", next_url, action=action, params=next_params)
            items = json_of(response, action)
            if not isinstance(items, list):
                raise PublishError(f"cannot {action}: the answer of {next_url} is not a list")
            yield items
            next_url, next_params = self.next_page(response, url, params)
        raise PublishError(f"cannot {action}: more than {MAX_PAGES} pages")

    def next_page(self, response: httpx.Response, url: str, params: dict[str, Any]
                  ) -> tuple[str | None, dict[str, Any] | None]:
        link = response.links.get("next", {}).get("url")
        if link:
            if not same_origin(link, self.base_url):
                # Following it would send the token to another host.
                raise PublishError(self.secrets.redact(
                    f"the API's next-page link points to another host ({urlsplit(link).netloc}, "
                    f"not {urlsplit(self.base_url).netloc}): refusing to send the token there"))
            return link, None
        page = response.headers.get("x-next-page", "").strip()
        if page.isdigit():
            return url, {**params, "page": int(page)}
        return None, None

    def log(self, message: str) -> None:
        if self.debug:
            print(f"sqlreview: publish: {self.secrets.redact(message)}", file=sys.stderr)


class HttpStatusError(PublishError):
    """The API answered with an error status (after retries, where they apply)."""

    def __init__(self, status: int, action: str, detail: str, attempts: int,
                 location: str = "") -> None:
        self.status = status
        self.action = action
        self.detail = detail
        self.attempts = attempts
        self.location = location
        super().__init__(f"cannot {action}: HTTP {status}" + (f" ({detail})" if detail else ""))


def json_of(response: httpx.Response, action: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise PublishError(f"cannot {action}: {response.request.url} did not answer with "
                           "JSON (is the API URL right?)") from None


def server_message(response: httpx.Response) -> str:
    """The error text the API put in its answer (GitHub and GitLab: ``message``), shortened."""
    try:
        document = response.json()
    except ValueError:
        text = response.text.strip().splitlines()[0] if response.text.strip() else ""
    else:
        value = (document.get("message") or document.get("error")
                 if isinstance(document, dict) else None)
        text = value if isinstance(value, str) else (str(value) if value else "")
    return text if len(text) <= 300 else text[:297] + "..."


def same_origin(url: str, base: str) -> bool:
    first, second = urlsplit(url), urlsplit(base)
    return (first.scheme, first.hostname, first.port) == (second.scheme, second.hostname,
                                                          second.port)
