"""Print what PostgreSQL did for every catalog case.

    python -m tests.truth.dump [CASE_ID ...] > /tmp/truth_observed.txt

Uses the server named by ``$SQLREVIEW_TEST_PG_URL``, else the embedded one.
The output is the raw truth the analyzer's knowledge is calibrated against.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping

from sqlreview.locking import LockMode
from sqlreview.pg.observe import Observation
from sqlreview.scratch import ScratchServer
from tests.truth.catalog import CASES, Case
from tests.truth.runner import TruthDatabase

LEGEND = """\
# locks:       table-level locks the statement newly holds (tables, views, sequences...)
#              outside cases: those granted at the moment it first waited for the blocker
# index locks: the same for indexes (not compared by the truth test)
# waited_for:  outside cases: lock requests seen waiting (compared as locks)
# rewritten:   tables/matviews that got a new relfilenode (rebuilt ix: same for indexes)
# scanned:     pre-existing tables whose seq_scan and seq_tup_read both went up
"""


def _locks(locks: Mapping[str, LockMode]) -> str:
    return ", ".join(f"{name}={mode.sql_name}" for name, mode in sorted(locks.items())) or "-"


def _names(names: frozenset[str]) -> str:
    return ", ".join(sorted(names)) or "-"


def format_case(case: Case, observed: Observation) -> str:
    lines = [f"== {case.id} [{case.method}]", f"sql:        {case.sql}"]
    if case.setup:
        lines.append(f"setup:      {case.setup}")
    if case.blocker:
        lines.append(f"blocker:    {case.blocker}")
    if observed.error:
        lines.append(f"ERROR:      {observed.error}")
    else:
        lines += [
            f"locks:      {_locks(observed.locks)}",
            f"index locks: {_locks(observed.index_locks)}",
            f"waited_for: {_locks(observed.waited_for)}",
            f"rewritten:  {_names(observed.rewritten)}",
            f"rebuilt ix: {_names(observed.rebuilt_indexes)}",
            f"scanned:    {_names(observed.scanned)}",
        ]
    lines += [f"note:       {note}" for note in observed.notes]
    if case.note:
        lines.append(f"case note:  {case.note}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    wanted = set(argv)
    cases = [case for case in CASES if not wanted or case.id in wanted]
    url = os.environ.get("SQLREVIEW_TEST_PG_URL")
    started = time.monotonic()
    server = ScratchServer.at(url) if url else ScratchServer.embedded()
    truth = TruthDatabase(server)
    try:
        truth.start()
        print(f"# PostgreSQL {truth.server_version}, {len(cases)} cases")
        print(LEGEND)
        errors = 0
        for case in cases:
            observed = truth.observe(case)
            errors += observed.error is not None
            print(format_case(case, observed), end="\n\n", flush=True)
    finally:
        truth.stop()
        server.stop()
    print(f"# {errors} errors, {time.monotonic() - started:.1f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
