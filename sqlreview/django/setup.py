"""Configure Django from ``--settings`` / ``--pythonpath`` (or find it configured)."""

from __future__ import annotations

import os
import sys

from sqlreview.django.errors import DjangoSetupError
from sqlreview.errors import first_line


def setup_django(settings: str | None = None, pythonpath: str | None = None) -> None:
    """Make Django's app registry ready, or raise :class:`DjangoSetupError`.

    When Django is already configured (``manage.py sqlreview``), nothing is
    changed. Otherwise ``settings`` wins over ``DJANGO_SETTINGS_MODULE``, and
    ``pythonpath`` (or else the current directory, as ``python manage.py``
    would have it) is put on ``sys.path`` so the project imports.
    """
    import django
    from django.apps import apps
    from django.conf import settings as django_settings

    if apps.ready:
        return
    if not django_settings.configured:
        _prepare_import_path(pythonpath)
        module = settings or os.environ.get("DJANGO_SETTINGS_MODULE")
        if not module:
            raise DjangoSetupError(
                "no Django settings: pass --settings MODULE (e.g. --settings mysite.settings) "
                "or set DJANGO_SETTINGS_MODULE, and --pythonpath DIR if the project is not "
                "importable from the current directory"
            )
        os.environ["DJANGO_SETTINGS_MODULE"] = module
        _load_settings(module, pythonpath)
    try:
        django.setup()
    except Exception as error:
        raise DjangoSetupError(
            f"Django could not load the project's apps ({first_line(error, with_type=True)}): "
            "check INSTALLED_APPS and that the project's dependencies are installed"
        ) from error


def _prepare_import_path(pythonpath: str | None) -> None:
    if pythonpath is not None:
        directory = os.path.abspath(pythonpath)
        if not os.path.isdir(directory):
            raise DjangoSetupError(f"--pythonpath {pythonpath}: no such directory")
        if directory not in sys.path:
            sys.path.insert(0, directory)
        return
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)


def _load_settings(module: str, pythonpath: str | None) -> None:
    """Import the settings now, so a failure names the module and the fix."""
    from django.conf import settings as django_settings

    try:
        _ = django_settings.INSTALLED_APPS
    except ModuleNotFoundError as error:
        where = f" under {pythonpath}" if pythonpath else " from the current directory"
        if error.name and (module == error.name or module.startswith(error.name + ".")):
            raise DjangoSetupError(
                f"cannot import the settings module {module!r}{where}: "
                "check --settings / DJANGO_SETTINGS_MODULE and pass --pythonpath DIR "
                "(the directory that contains the project package)"
            ) from error
        raise DjangoSetupError(
            f"the settings module {module!r} failed to import "
            f"({first_line(error, with_type=True)}): "
            "install the missing package or fix the import"
        ) from error
    except Exception as error:
        raise DjangoSetupError(
            f"the settings module {module!r} failed to load ({first_line(error, with_type=True)}): "
            "fix the settings file"
        ) from error
