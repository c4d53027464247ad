"""tests/django/driver.py run in a subprocess: one scenario of the Django side, its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.support.cli import ROOT

DRIVER = ROOT / "tests" / "django" / "driver.py"

Result = dict[str, Any]


def run_driver(scenario: str, env: dict[str, str] | None = None, **arguments: Any) -> Result:
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"
    }
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    environment.update(env or {})
    process = subprocess.run(
        [sys.executable, str(DRIVER), scenario, json.dumps(arguments)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    result: Result = json.loads(process.stdout.strip().splitlines()[-1])
    return result
