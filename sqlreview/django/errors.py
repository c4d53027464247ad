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


def migration_file_of(error: BaseException) -> str:
    """`` in path/to/migrations/0003_x.py, line 5`` for the innermost migration file."""
    import os

    found = ""
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if f"{os.sep}migrations{os.sep}" in filename:
            found = f" in {filename}, line {traceback.tb_lineno}"
        traceback = traceback.tb_next
    return found
