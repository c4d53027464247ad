"""The machine a calibration was measured on: CPU, cores, PostgreSQL and its settings."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psycopg


def describe_machine(conn: psycopg.Connection[Any], where: str) -> dict[str, Any]:
    """Where the figures come from: CPU, cores, PostgreSQL and the settings that matter."""
    row = conn.execute("SELECT version(), current_setting('server_version')").fetchone()
    version, short = (str(row[0]), str(row[1])) if row else ("unknown", "unknown")
    settings = {}
    for name in ("shared_buffers", "maintenance_work_mem", "work_mem",
                 "max_parallel_maintenance_workers", "fsync", "synchronous_commit",
                 "full_page_writes", "wal_level"):
        value = conn.execute("SELECT current_setting(%s, true)", (name,)).fetchone()
        settings[name] = value[0] if value else None
    row = conn.execute("SELECT datcollate, datlocprovider::text FROM pg_database "
                       "WHERE datname = current_database()").fetchone()
    settings["collation"] = f"{row[0]} ({row[1]})" if row else None
    cpu, cores = _cpu_model(), os.cpu_count() or 0
    server = "embedded PostgreSQL" if where == "embedded" else "a staging server"
    return {
        "summary": f"{cpu}, {cores} cores, PostgreSQL {short} ({server}), "
                   f"{platform.system()} {platform.machine()}",
        "cpu": cpu, "cores": cores, "postgresql": version, "server": where,
        "settings": settings, "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"
