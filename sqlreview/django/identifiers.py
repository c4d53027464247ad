"""Identifiers Django makes up per run, made the same in every run.

Django names a savepoint ``s<thread id>_x<counter>`` (``s140354334956416_x12``):
the thread id changes between runs, so a report quoting the SQL a RunPython
executed would differ between two identical runs. The text recorded for the
reports says ``s<thread>_x12``; the SQL executed is never touched.
"""

from __future__ import annotations

import re

_SAVEPOINT = re.compile(r'(?i)(\bSAVEPOINT\s+)("?)s\d+_x(\d+)\2(?=\W|$)')


def stable_sql(sql: str) -> str:
    """``sql`` with Django's savepoint names freed of the thread id."""
    if "avepoint" not in sql and "AVEPOINT" not in sql:
        return sql
    return _SAVEPOINT.sub(lambda m: f"{m.group(1)}{m.group(2)}s<thread>_x{m.group(3)}"
                                    f"{m.group(2)}", sql)
