"""PostgreSQL's table-level lock modes and what each one blocks.

The conflict matrix is the one in the PostgreSQL manual, "Explicit Locking",
table "Conflicting Lock Modes"; it has not changed since 8.2.
"""

from __future__ import annotations

import enum


class LockMode(enum.IntEnum):
    """Table lock modes, weakest first, so ``max()`` gives the strongest."""

    ACCESS_SHARE = 1
    ROW_SHARE = 2
    ROW_EXCLUSIVE = 3
    SHARE_UPDATE_EXCLUSIVE = 4
    SHARE = 5
    SHARE_ROW_EXCLUSIVE = 6
    EXCLUSIVE = 7
    ACCESS_EXCLUSIVE = 8

    @property
    def sql_name(self) -> str:
        """The words used in SQL and the manual: ``ACCESS EXCLUSIVE``."""
        return _SQL_NAMES[self]

    @property
    def pg_locks_name(self) -> str:
        """The spelling of ``pg_locks.mode``: ``AccessExclusiveLock``."""
        return _PG_LOCKS_NAMES[self]

    @classmethod
    def from_pg_locks_name(cls, name: str) -> LockMode:
        for mode in cls:
            if mode.pg_locks_name == name:
                return mode
        raise ValueError(f"not a table lock mode: {name!r}")

    @classmethod
    def from_sql_name(cls, name: str) -> LockMode:
        return cls[name.strip().upper().replace(" ", "_")]

    def conflicts_with(self, other: LockMode) -> bool:
        return other in _CONFLICTS[self]

    @property
    def blocks(self) -> tuple[str, ...]:
        """What ordinary traffic this lock holds up: ``reads``, ``writes``, ``DDL``."""
        return _BLOCKS[self]

    def _blocks(self) -> tuple[str, ...]:
        blocked: list[str] = []
        if self.conflicts_with(LockMode.ACCESS_SHARE):
            blocked.append("reads")
        if self.conflicts_with(LockMode.ROW_EXCLUSIVE):
            blocked.append("writes")
        if self.conflicts_with(LockMode.SHARE_UPDATE_EXCLUSIVE):
            blocked.append("DDL")
        return tuple(blocked)


_M = LockMode
_CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    _M.ACCESS_SHARE: frozenset({_M.ACCESS_EXCLUSIVE}),
    _M.ROW_SHARE: frozenset({_M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}),
    _M.ROW_EXCLUSIVE: frozenset(
        {_M.SHARE, _M.SHARE_ROW_EXCLUSIVE, _M.EXCLUSIVE, _M.ACCESS_EXCLUSIVE}
    ),
    _M.SHARE_UPDATE_EXCLUSIVE: frozenset(
        {
            _M.SHARE_UPDATE_EXCLUSIVE,
            _M.SHARE,
            _M.SHARE_ROW_EXCLUSIVE,
            _M.EXCLUSIVE,
            _M.ACCESS_EXCLUSIVE,
        }
    ),
    _M.SHARE: frozenset(
        {
            _M.ROW_EXCLUSIVE,
            _M.SHARE_UPDATE_EXCLUSIVE,
            _M.SHARE_ROW_EXCLUSIVE,
            _M.EXCLUSIVE,
            _M.ACCESS_EXCLUSIVE,
        }
    ),
    _M.SHARE_ROW_EXCLUSIVE: frozenset(
        {
            _M.ROW_EXCLUSIVE,
            _M.SHARE_UPDATE_EXCLUSIVE,
            _M.SHARE,
            _M.SHARE_ROW_EXCLUSIVE,
            _M.EXCLUSIVE,
            _M.ACCESS_EXCLUSIVE,
        }
    ),
    _M.EXCLUSIVE: frozenset(
        {
            _M.ROW_SHARE,
            _M.ROW_EXCLUSIVE,
            _M.SHARE_UPDATE_EXCLUSIVE,
            _M.SHARE,
            _M.SHARE_ROW_EXCLUSIVE,
            _M.EXCLUSIVE,
            _M.ACCESS_EXCLUSIVE,
        }
    ),
    _M.ACCESS_EXCLUSIVE: frozenset(LockMode),
}

# Asked for every lock of every statement of a report: computed once.
_SQL_NAMES = {mode: mode.name.replace("_", " ") for mode in LockMode}
_PG_LOCKS_NAMES = {
    mode: "".join(part.capitalize() for part in mode.name.split("_")) + "Lock"
    for mode in LockMode
}
_BLOCKS = {mode: mode._blocks() for mode in LockMode}
