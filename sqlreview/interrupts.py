"""Ctrl-C and SIGTERM (a cancelled CI job), handled where it is safe to stop.

A signal handler that raises can land anywhere: inside a weakref finalizer
Python only prints "Exception ignored" and the run goes on. So the first
SIGINT/SIGTERM only sets a flag, and the long loops (statements, migrations,
waiting for a server) call :func:`check`, which raises ``KeyboardInterrupt``
there. A second signal raises at once: whoever presses Ctrl-C twice wants out.
Inside :func:`deferred` (cleanup) even that waits until the block is done, so
cleanup is never cut short.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_state = {"signals": 0, "deferring": 0, "settled": 0}


def install() -> None:
    """Route SIGINT and SIGTERM here (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    _state["settled"] = 0
    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)


def _handle(signum: int, frame: FrameType | None) -> None:
    _state["signals"] += 1
    if _state["signals"] > 1 and not _state["deferring"] and not _state["settled"]:
        raise KeyboardInterrupt


def settle() -> None:
    """The run is over: from now on SIGINT and SIGTERM are ignored.

    While Python shuts down it puts the default handlers back, so a second
    signal arriving then (a CI runner sends SIGTERM more than once) would
    kill the process and replace the exit code it chose with -15.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    while True:
        try:  # a second signal may land before the flag is up: then it is tried again
            _state["settled"] = 1
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            return
        except KeyboardInterrupt:
            continue


def requested() -> bool:
    return _state["signals"] > 0


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a signal arrived (outside :func:`deferred`)."""
    if _state["signals"] and not _state["deferring"]:
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """No interrupt lands inside this block (cleanup, or starting a server)."""
    _state["deferring"] += 1
    try:
        yield
    finally:
        _state["deferring"] -= 1


def reset() -> None:
    """Forget earlier signals (tests; ``manage.py`` calling the CLI twice)."""
    _state["signals"] = 0
    _state["settled"] = 0
