"""Point Django's connections at a scratch database for the duration of a replay.

While replaying, the selected alias talks to the scratch database and every
other alias refuses to connect, so no migration code (a RunPython that forgets
``using=``, a router sending writes elsewhere) can reach a database the user
configured. The original connection objects are put back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

from django.db.backends.dummy.base import DatabaseWrapper as DummyDatabaseWrapper

from sqlreview.django.errors import DjangoSetupError

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

POSTGRES_ENGINE = "django.db.backends.postgresql"
# Connection options that do not say which server to talk to.
_KEPT_OPTIONS = ("isolation_level", "server_side_binding")


class RefusingDatabaseWrapper(DummyDatabaseWrapper):
    """A connection that raises a clear error instead of connecting.

    Every way in says so: connecting, a cursor, a transaction, and the
    backend's parts the ORM reaches first (``ops.quote_name`` when a query
    is compiled, introspection, the schema editor), which the dummy backend
    would answer with "settings.DATABASES is improperly configured".
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for part in ("ops", "introspection", "client", "creation"):
            setattr(self, part, _Refusing(self))

    def refusal(self) -> Exception:
        from django.db import DatabaseError

        return DatabaseError(
            f"sqlreview does not connect to database {self.alias!r} while replaying "
            f"migrations on the scratch database; map it with --scratch-alias {self.alias} "
            "to point it at the scratch database too"
        )

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise self.refusal()

    ensure_connection = _refuse
    _cursor = _refuse
    _commit = _refuse
    _set_autocommit = _refuse
    schema_editor = _refuse
    cursor = _refuse
    chunked_cursor = _refuse


class _Refusing:
    """Stands in for a backend part (``ops``...): any use raises the wrapper's refusal."""

    def __init__(self, wrapper: RefusingDatabaseWrapper) -> None:
        self._wrapper = wrapper

    def __getattr__(self, name: str) -> NoReturn:
        raise self._wrapper.refusal()


@contextlib.contextmanager
def scratch_connections(url: str, alias: str, also: tuple[str, ...] = ()
                        ) -> Iterator[BaseDatabaseWrapper]:
    """Swap ``connections[alias]`` for the scratch database ``url``; yield it.

    The aliases in ``also`` (``--scratch-alias``) talk to the scratch database
    too, through a connection of their own, and so do the aliases Django's test
    runner treats as ``alias`` itself (``TEST["MIRROR"]``, e.g. a replica);
    every other alias refuses.
    """
    from django.db import connections

    originals = {name: _existing(name) for name in connections}
    also = (*also, *mirrors_of(alias))
    unknown = [name for name in also if name not in originals]
    if unknown:
        raise DjangoSetupError(
            f"--scratch-alias {unknown[0]}: settings.DATABASES has no such alias "
            f"(it has: {', '.join(sorted(originals))})")
    replacements: dict[str, BaseDatabaseWrapper] = {
        name: RefusingDatabaseWrapper(dict(connections.settings[name]), name) for name in originals
    }
    scratch = postgres_wrapper(url, alias, connections.settings[alias], originals[alias])
    replacements[alias] = scratch
    mapped = [postgres_wrapper(url, name, connections.settings[name], originals[name])
              for name in also if name != alias]
    for wrapper in mapped:
        replacements[wrapper.alias] = wrapper
    for name, wrapper in replacements.items():
        connections[name] = wrapper
    try:
        yield scratch
    finally:
        scratch.close()
        for wrapper in mapped:
            wrapper.close()
        for name, original in originals.items():
            if original is None:
                with contextlib.suppress(AttributeError):
                    del connections[name]
            else:
                connections[name] = original


def mirrors_of(alias: str) -> tuple[str, ...]:
    """The aliases whose ``TEST["MIRROR"]`` names ``alias``: the same database to Django."""
    from django.db import connections

    return tuple(name for name in connections
                 if name != alias
                 and (connections.settings[name].get("TEST") or {}).get("MIRROR") == alias)


def _existing(name: str) -> BaseDatabaseWrapper | None:
    from django.db import connections

    try:
        return connections[name]
    except Exception:  # its backend does not even import: nothing to restore
        return None


def postgres_wrapper(
    url: str,
    alias: str,
    configured: dict[str, Any],
    original: BaseDatabaseWrapper | None,
) -> BaseDatabaseWrapper:
    """A PostgreSQL DatabaseWrapper for ``url`` that otherwise looks like ``alias``.

    A PostgreSQL-family engine (e.g. PostGIS) is kept, so its field types
    render; any other engine (SQLite, MySQL) is replaced by PostgreSQL's.
    """
    from django.db.utils import load_backend
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    options = {key: value for key, value in params.items() if key not in _URL_KEYS}
    engine = configured.get("ENGINE", POSTGRES_ENGINE)
    if original is None or original.vendor != "postgresql":
        engine = POSTGRES_ENGINE
    else:
        kept = configured.get("OPTIONS") or {}
        options.update({key: kept[key] for key in _KEPT_OPTIONS if key in kept})
    settings = dict(configured)
    settings.update(
        ENGINE=engine,
        NAME=params.get("dbname", ""),
        USER=params.get("user", ""),
        PASSWORD=params.get("password", ""),
        HOST=params.get("host", ""),
        PORT=str(params.get("port", "")),
        OPTIONS=options,
        ATOMIC_REQUESTS=False,
        AUTOCOMMIT=True,
        CONN_MAX_AGE=0,
        CONN_HEALTH_CHECKS=False,
    )
    wrapper: BaseDatabaseWrapper = load_backend(engine).DatabaseWrapper(settings, alias)
    return wrapper


_URL_KEYS = frozenset({"dbname", "user", "password", "host", "port"})
