"""The lock timeline drawn by a real browser with Mermaid 10 and 11.

Each diagram of the report is put in a static page that loads mermaid's
``dist/mermaid.min.js``; headless Chromium renders it and dumps the DOM, and
the SVG is read back: every bar must sit where its data puts it (one linear
map from the data to pixels for all bars, so no bar starts at the left edge
unless its data does) and no axis label may repeat.

Needs Chromium (Debian: ``apt-get install chromium``) and npm: the mermaid
packages are installed once into pytest's cache (``.pytest_cache``, not
committed; the system's temporary directory under ``-p no:cacheprovider``).
Skipped, saying why, when either is missing.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from sqlreview.report import render_markdown
from tests.report.cases import render, sized_timeline

VERSIONS = ("10", "11")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TASK = re.compile(r"^\s*(?P<label>.+?) :(?:crit, |active, )?(?P<start>\d+), (?P<end>\d+)$")


@dataclass(frozen=True)
class Bar:
    start: int  # the data, in Mermaid's milliseconds
    end: int


@dataclass(frozen=True)
class Drawn:
    x: float
    width: float


def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        pytest.skip("no Chromium to render Mermaid with (apt-get install chromium)")
    return found


@pytest.fixture(scope="module", params=VERSIONS)
def mermaid_js(request: pytest.FixtureRequest) -> Path:
    """``dist/mermaid.min.js`` of the major version, from npm, cached by pytest."""
    version = request.param
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    name = f"sqlreview-mermaid-{version}"
    directory = cache.mkdir(name) if cache is not None else Path(tempfile.gettempdir()) / name
    script = directory / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"no npm to install mermaid@{version} with")
    try:
        # Offline, fail within seconds rather than after npm's minutes of retries.
        subprocess.run([npm, "install", "--prefix", str(directory), "--no-audit", "--no-fund",
                        "--silent", "--fetch-retries=1", "--fetch-timeout=30000",
                        f"mermaid@{version}"], check=True, timeout=300, capture_output=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"npm could not install mermaid@{version} (offline?): {error}")
    return script


def diagrams(markdown: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.DOTALL)


def bars(diagram: str) -> list[Bar]:
    return [Bar(int(m["start"]), int(m["end"])) for line in diagram.splitlines()
            if (m := TASK.match(line))]


def render_svg(diagram: str, script: Path, directory: Path) -> str:
    page = directory / "timeline.html"
    page.write_text(
        '<!doctype html><html><head><meta charset="utf-8"></head><body>'
        f'<pre class="mermaid">{html.escape(diagram)}</pre>'
        f'<script src="{script.as_uri()}"></script>'
        "<script>mermaid.initialize({startOnLoad: false}); mermaid.run();</script>"
        "</body></html>", encoding="utf-8")
    completed = subprocess.run(
        [browser(), "--headless", "--no-sandbox", "--disable-gpu",
         "--allow-file-access-from-files", "--virtual-time-budget=10000", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    svg = completed.stdout
    assert "<svg" in svg, f"Mermaid drew nothing: {completed.stderr[-2000:]}"
    assert "Syntax error" not in svg, "Mermaid could not parse the diagram"
    return svg


def drawn_bars(svg: str) -> list[Drawn]:
    found = []
    for tag in re.findall(r"<rect\b[^>]*>", svg):
        classes = re.search(r'class="([^"]*)"', tag)
        if classes is None or not re.search(r"\btask\d*\b", classes.group(1)):
            continue
        x, width = re.search(r'\bx="([\d.]+)"', tag), re.search(r'\bwidth="([\d.]+)"', tag)
        assert x is not None and width is not None, tag
        found.append(Drawn(float(x.group(1)), float(width.group(1))))
    return found


def tick_labels(svg: str) -> list[str]:
    return re.findall(r'<g class="tick"[^>]*>.*?<text[^>]*>([^<]*)</text>', svg)


def assert_drawn_as_data(data: list[Bar], drawn: list[Drawn]) -> None:
    """One linear map, pixels = left + scale * milliseconds, for every bar's two ends."""
    assert len(drawn) == len(data)
    origin = min(bar.start for bar in data)
    span = max(bar.end for bar in data) - origin
    left = min(d.x for d in drawn)
    scale = (max(d.x + d.width for d in drawn) - left) / span
    for bar, shape in zip(data, drawn, strict=True):
        assert shape.x == pytest.approx(left + scale * (bar.start - origin), abs=1.5)
        assert shape.width == pytest.approx(scale * (bar.end - bar.start), abs=1.5)


def assert_axis_is_clean(svg: str) -> None:
    labels = tick_labels(svg)
    assert len(labels) >= 2, labels
    assert len(labels) == len(set(labels)), f"repeated axis labels: {labels}"
    numbers = [float(label) for label in labels]
    assert numbers == sorted(numbers), labels


def test_the_statement_order_timeline_draws_as_its_data(mermaid_js: Path,
                                                        tmp_path: Path) -> None:
    (diagram, *_others) = [d for d in diagrams(render("shop_migrations", "markdown"))
                           if "shop_product" in d]
    data = bars(diagram)
    svg = render_svg(diagram, mermaid_js, tmp_path)
    drawn = drawn_bars(svg)
    assert_drawn_as_data(data, drawn)
    statements = drawn[1:]  # the lock first, then statements 1, 2, 3 one after another
    assert [d.x for d in statements] == sorted(d.x for d in statements)
    assert len({round(d.x) for d in statements}) == 3, "every bar starts at the same place"
    assert_axis_is_clean(svg)


def test_the_estimated_seconds_timeline_draws_as_its_data(mermaid_js: Path,
                                                          tmp_path: Path) -> None:
    markdown = render_markdown(sized_timeline())
    (diagram,) = diagrams(markdown)
    assert "x axis: estimated minutes" in diagram
    data = bars(diagram)
    svg = render_svg(diagram, mermaid_js, tmp_path)
    drawn = drawn_bars(svg)
    assert_drawn_as_data(data, drawn)
    update, index = drawn[-2], drawn[-1]
    assert index.x > update.x and index.width > 2 * update.width  # 38 GB against 6 GB
    assert_axis_is_clean(svg)


def test_the_screenshot_is_worth_looking_at(mermaid_js: Path, tmp_path: Path) -> None:
    """Not an assertion on pixels: a PNG next to the page, for a person to open
    (``--basetemp`` keeps it) when the SVG checks pass but something looks off."""
    (diagram,) = diagrams(render_markdown(sized_timeline()))
    render_svg(diagram, mermaid_js, tmp_path)
    shot = tmp_path / "timeline.png"
    subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu",
                    "--allow-file-access-from-files", "--virtual-time-budget=10000",
                    "--window-size=1000,500", f"--screenshot={shot}",
                    (tmp_path / "timeline.html").as_uri()],
                   capture_output=True, timeout=120, check=False, cwd=tmp_path)
    assert shot.exists() and shot.stat().st_size > 1_000
