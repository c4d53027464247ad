"""Run one command and report its wall time and peak memory.

    python benchmarks/measure.py REPORT.json -- COMMAND [ARG ...]

The command inherits standard input and output. This wrapper is a fresh process that
waits for nothing but the command, so ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the peak
resident set of the command (or of the largest process it waited for, e.g. ``initdb``;
a server it started in the background is not counted). The exit code is the command's.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    report, command = Path(sys.argv[1]), sys.argv[3:]
    start = time.perf_counter()
    returncode = subprocess.call(command)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # Linux reports KiB, macOS bytes.
    peak_kib = peak // 1024 if sys.platform == "darwin" else peak
    report.write_text(json.dumps({"seconds": seconds, "returncode": returncode,
                                  "peak_rss_kib": peak_kib}), encoding="utf-8")
    return returncode


if __name__ == "__main__":
    sys.exit(main())
