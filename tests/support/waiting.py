"""The one waiter: poll until a condition holds, or fail the test."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, *,
             process: subprocess.Popen[Any] | None = None, interval: float = 0.01) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` seconds, or as soon as
    ``process`` (the one expected to make it hold) has ended."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        if process is not None and process.poll() is not None:
            raise AssertionError(f"sqlreview ended early: {process.communicate()[1]}")
        time.sleep(interval)
