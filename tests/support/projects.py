"""The one Django-project builder: files written under a root, their text dedented."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path


def write_files(root: Path, files: Mapping[str, str], *, keep_leading_newline: bool = False
                ) -> Path:
    """Each ``relative path -> text`` under ``root`` (folders made as needed), the text
    dedented and, unless ``keep_leading_newline`` (a project whose line numbers a test
    reads as they were written), without its leading blank lines."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        dedented = textwrap.dedent(text)
        path.write_text(dedented if keep_leading_newline else dedented.lstrip(),
                        encoding="utf-8")
    return root


def app_files(app: str, migrations: Mapping[str, str], *, models: str | None = None
              ) -> dict[str, str]:
    """An app's package, its migrations package and ``migrations`` (name -> source)."""
    files = {f"{app}/__init__.py": "", f"{app}/migrations/__init__.py": ""}
    if models is not None:
        files[f"{app}/models.py"] = models
    files.update({f"{app}/migrations/{name}.py": text for name, text in migrations.items()})
    return files


def unreachable_settings(apps: Sequence[str], *, big_auto_field: bool = False) -> str:
    """A settings module for ``apps`` whose database nothing listens on: the review must
    never need it (named targets, --all), and one that tries fails within 2 seconds."""
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "nothing",
                "HOST": "127.0.0.1", "PORT": "1", "OPTIONS": {"connect_timeout": 2}}
    lines = ['SECRET_KEY = "test"', f"INSTALLED_APPS = {json.dumps(list(apps))}",
             f"DATABASES = {json.dumps({'default': database})}"]
    if big_auto_field:
        lines.append('DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"')
    return "\n".join(lines) + "\n"
