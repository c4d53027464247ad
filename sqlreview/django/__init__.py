"""The Django side of sqlreview: select migrations and render their SQL as Django does.

Typical use (the CLI's)::

    setup_django(settings="mysite.settings", pythonpath=".")
    result = render_migrations(SelectionRequest(targets=("library",)), mode="replay")
    for migration in result.migrations:
        print(migration.sql_text)

Django is imported lazily: importing this package does not configure it.
"""

from sqlreview.django.errors import DjangoSetupError

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
        from sqlreview.django import run

        return getattr(run, name)
    if name in ("RenderedMigration", "RenderedStatement"):
        from sqlreview.django import render

        return getattr(render, name)
    if name == "SelectionRequest":
        from sqlreview.django import select

        return select.SelectionRequest
    if name == "setup_django":
        from sqlreview.django import setup

        return setup.setup_django
    raise AttributeError(name)
