"""The fast pre-state's catalog beside the exact replay's, at points of a history
(``tests/django/driver.py``'s ``prestate_catalogs``, run in a subprocess)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.django_driver import run_driver

# point (the migration before which both were built) -> (fast catalog, exact catalog)
Compared = dict[str, tuple[dict[str, Any], dict[str, Any]]]


def fast_and_exact(project: Path, settings: str, scratch_url: str, *, every: int,
                   env: dict[str, str] | None = None,
                   include_third_party: bool = False) -> Compared:
    """Both catalogs at every ``every``-th migration of the history (and at the last)."""
    compared: Compared = run_driver("prestate_catalogs", env=env, project=str(project),
                                    settings=settings, scratch_url=scratch_url, every=every,
                                    include_third_party=include_third_party)
    return compared


def differences(compared: Compared) -> list[str]:
    """Each relation (indexes and constraints by name) and each other object (function,
    trigger, comment, view's text) the two catalogs do not share alike, by point."""
    found = []
    for point, (fast, exact) in compared.items():
        for part in ("relations", "others"):
            found += [f"{point}: {difference}"
                      for difference in _differences(fast[part], exact[part])]
    return found


def _differences(fast: dict[str, Any], exact: dict[str, Any]) -> list[str]:
    return [f"{key}: fast {fast.get(key)} != exact {exact.get(key)}"
            for key in sorted(set(fast) | set(exact)) if fast.get(key) != exact.get(key)]
