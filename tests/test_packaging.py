"""The package's metadata: one version, the licence, the data an installed sqlreview needs."""

from __future__ import annotations

from importlib.metadata import metadata, version
from pathlib import Path

import sqlreview
from sqlreview.config import _toml_reader

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> dict[str, object]:
    loads = _toml_reader()
    assert loads is not None
    project = loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert isinstance(project, dict)
    return project


def test_the_version_is_written_once() -> None:
    project = pyproject()
    assert "version" not in project and "version" in project["dynamic"]  # type: ignore[operator]
    assert version("sqlreview") == sqlreview.__version__


def test_the_installed_metadata_names_the_licence_and_the_project_home() -> None:
    info = metadata("sqlreview")
    assert info["License-Expression"] == "Apache-2.0"
    urls = info.get_all("Project-URL") or []
    assert any(url.startswith("Homepage, https://github.com/sqlreview/sqlreview") for url in urls)
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    first_lines = license_text.split()[:5]
    assert first_lines == ["Apache", "License", "Version", "2.0,", "January"]
    assert "END OF TERMS AND CONDITIONS" in license_text


def test_the_package_data_is_there() -> None:
    package = Path(sqlreview.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "stats" / "default_calibration.json").is_file()


def test_python_310_reads_pyproject_with_tomli() -> None:
    requirements = metadata("sqlreview").get_all("Requires-Dist") or []
    assert any(req.startswith("tomli") and "python_version < \"3.11\"" in req
               for req in requirements), requirements
