"""The same migrations give the same report, whatever Python's hash seed."""

from __future__ import annotations

import pytest

from sqlreview.scratch import ScratchServer
from tests.django.timing import mask_now
from tests.support.cli import SAMPLE, run_sqlreview


@pytest.mark.parametrize("output_format", ["json", "markdown", "text", "github"])
def test_a_django_review_is_byte_identical_under_other_hash_seeds(
    pg_server: ScratchServer, output_format: str,
) -> None:
    outputs = []
    for seed in ("1", "2", "3"):
        result = run_sqlreview("--all", "--pythonpath", str(SAMPLE), "--settings",
                               "sampleproject.settings", "--format", output_format, "--fail-on",
                               "never", "--scratch-url", pg_server.url, "--no-cache",
                               env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        # Django 4.2 bakes the time of rendering into default=timezone.now (library.0004).
        outputs.append(mask_now(result.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
