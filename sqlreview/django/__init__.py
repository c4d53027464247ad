"""The Django side of sqlreview: select migrations and render their SQL as Django does.

Typical use (the CLI's)::

    setup_django(settings="mysite.settings", pythonpath=".")
    result = render_migrations(SelectionRequest(targets=("library",)), mode="replay")
    for migration in result.migrations:
        print(migration.sql_text)

Django is imported lazily: importing this package does not configure it.
"""

from typing import TYPE_CHECKING

from sqlreview.django.errors import DjangoSetupError

if TYPE_CHECKING:  # the real types for mypy; at run time see __getattr__ below
    from sqlreview.django.render import RenderedMigration, RenderedStatement
    from sqlreview.django.run import DjangoRender, render_migrations
    from sqlreview.django.select import SelectionRequest
    from sqlreview.django.setup import setup_django

__all__ = [
    "DjangoRender",
    "DjangoSetupError",
    "RenderedMigration",
    "RenderedStatement",
    "SelectionRequest",
    "render_migrations",
    "setup_django",
]


def __getattr__(name: str) -> object:
    # The submodules import django.* at module level; keep `import
    # sqlreview.django` cheap and safe before settings are configured.
    if name in ("DjangoRender", "render_migrations"):
        from sqlreview.django import run  # Django must be configured first

        return getattr(run, name)
    if name in ("RenderedMigration", "RenderedStatement"):
        from sqlreview.django import render  # Django must be configured first

        return getattr(render, name)
    if name == "SelectionRequest":
        from sqlreview.django import select  # Django must be configured first

        return select.SelectionRequest
    if name == "setup_django":
        from sqlreview.django import setup  # Django must be configured first

        return setup.setup_django
    raise AttributeError(name)
