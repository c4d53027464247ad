"""The sample's text report fits 80 and 200 columns and reads as its golden files."""

from __future__ import annotations

import django
import pytest

from sqlreview.scratch import ScratchServer
from tests.report.sample_golden import DJANGO, WIDTHS, golden_path, sample_report

pytestmark = pytest.mark.skipif(
    django.VERSION[:2] != DJANGO,
    reason=f"the golden files are the report under Django {DJANGO[0]}.{DJANGO[1]}: the SQL "
           "Django renders differs between versions")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sample_report_fits_and_matches_its_golden_file(width: int,
                                                            pg_server: ScratchServer) -> None:
    code, text = sample_report(width, pg_server.url)
    assert code == 1  # the sample holds risky migrations on purpose
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert too_wide == []
    path = golden_path(width)
    assert path.exists(), "run: python -m tests.report.update_golden"
    assert text == path.read_text(encoding="utf-8"), (
        f"{path.name} differs: if the change is meant, run python -m tests.report.update_golden "
        "and review the diff")
