"""The one exception the Django side raises for anything the user must fix."""

from __future__ import annotations


class DjangoSetupError(Exception):
    """Django could not be set up, or the migrations could not be selected.

    The message says what failed and what to do about it; the CLI prints it
    as is, without a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def describe_error(error: BaseException) -> str:
    """``Type: first line of the message``, for one-line reports."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    name = type(error).__name__
    return f"{name}: {first}" if first else name
