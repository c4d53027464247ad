"""Compare this checkout's sqlreview with another commit's, run for run.

`nox -s bench -- --against REF` (or `python benchmarks/against.py REF`): the commit REF is
checked out in a temporary git worktree, and every sqlreview measurement of the benchmark
(the synthetic project's reviews, `sqlreview sql`, the sample) is run alternately with REF's
sources and this checkout's on the same project, server and machine: A B B A, round after
round. Two benchmark runs one after the other compare two moments of a shared machine; runs
interleaved this way compare the code. Django's own rows are left out: they do not depend on
sqlreview. The table goes to stdout (Markdown), for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import (
    LAST,
    PENDING,
    ROOT,
    CommandFailed,
    Project,
    fresh_dir,
    load,
    measured,
    mixed_sql,
    parse_sizes,
    postgres,
    progress,
    seconds_text,
    sqlreview_flags,
)

ROUNDS = 5
NOISE = 0.10  # a change of the median within this share is reported as noise


@dataclass
class Pair:
    """One measurement taken with both sources: seconds per run for each."""

    name: str
    before: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)

    @property
    def change(self) -> float:
        return statistics.median(self.after) / statistics.median(self.before) - 1


Measure = Callable[[dict[str, str]], float]  # the environment of one side -> seconds


@contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """REF's tree in a temporary worktree, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="bench-against-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(directory), ref],
                   check=True, capture_output=True)
    try:
        yield directory
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(directory)],
                       check=False, capture_output=True)


def with_sources(env: dict[str, str], tree: Path) -> dict[str, str]:
    """`env` with `tree`'s sqlreview first on the import path."""
    paths = [str(tree), *filter(None, [env.get("PYTHONPATH")])]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


def interleaved(pair: Pair, once: Measure, trees: tuple[Path, Path], rounds: int) -> Pair:
    """A B B A: each round alternates which side runs first."""
    for number in range(rounds):
        order = (0, 1) if number % 2 == 0 else (1, 0)
        for side in order:
            seconds = once(with_sources(dict(os.environ), trees[side]))
            (pair.before if side == 0 else pair.after).append(seconds)
        progress(f"{pair.name}: before {pair.before[-1]:.2f} s, after {pair.after[-1]:.2f} s "
                 f"(round {number + 1}/{rounds})")
    return pair


def project_measures(project: Project) -> list[tuple[str, Measure]]:
    """The sqlreview rows of `bench_size`, each a function of one side's environment."""

    def review(*arguments: str, warm: bool = False) -> Measure:
        def once(env: dict[str, str]) -> float:
            cache = fresh_dir()
            try:
                command = project.sqlreview(*arguments, cache=cache)
                side = {**project.env(XDG_CACHE_HOME=str(cache / "xdg")),
                        "PYTHONPATH": env["PYTHONPATH"] + os.pathsep + str(project.directory)}
                if warm:
                    measured(command, side)
                return measured(command, side).seconds
            finally:
                shutil.rmtree(cache, ignore_errors=True)
        return once

    size = project.size
    return [
        (f"N={size} `sqlreview --all`", review("--all")),
        (f"N={size} `sqlreview` (pending {PENDING})", review()),
        (f"N={size} `sqlreview` last {LAST}, cold cache", review(*project.last)),
        (f"N={size} `sqlreview` last {LAST}, warm cache", review(*project.last, warm=True)),
    ]


def fixed_measures(tmp: Path) -> list[tuple[str, Measure]]:
    statements = tmp / "mixed-1000.sql"
    statements.write_text(mixed_sql(1_000))
    sample = ROOT / "sample_migrations"

    def command(arguments: list[str], cwd: Path | None = None) -> Measure:
        return lambda env: measured([sys.executable, "-m", "sqlreview", *arguments], env,
                                    cwd=cwd).seconds

    return [
        ("`sqlreview --version` (start-up)", command(["--version"])),
        ("`sqlreview sql` on 1,000 statements",
         command(["sql", str(statements), "--fail-on", "never"])),
        ("`sqlreview --all` on sample_migrations/",
         command(["--all", "--settings", "sampleproject.settings", "--fail-on", "never",
                  "--format", "json"], cwd=sample)),
    ]


def table(ref: str, head: str, pairs: list[Pair], rounds: int) -> str:
    lines = [
        f"Interleaved A/B, {rounds} rounds (A B B A), `{ref}` against `{head}`; "
        f"load average at the end: {load()}.",
        "",
        "| Measurement | Before (median) | After (median) | Change | Verdict |",
        "|---|---:|---:|---:|---|",
    ]
    for pair in pairs:
        change = pair.change
        verdict = ("within noise" if abs(change) <= NOISE
                   else "slower" if change > 0 else "faster")
        lines.append(f"| {pair.name} | {seconds_text(statistics.median(pair.before))} | "
                     f"{seconds_text(statistics.median(pair.after))} | {change:+.0%} | "
                     f"{verdict} |")
    return "\n".join(lines)


def short(ref: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", ref], check=True,
                          capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the commit to compare with (before)")
    parser.add_argument("--sizes", type=parse_sizes, default=[100, 500],
                        help="sizes of the synthetic project (default: 100,500)")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help=f"runs of each side per measurement (default: {ROUNDS})")
    args = parser.parse_args(argv)
    pairs: list[Pair] = []
    with checkout(args.ref) as before, tempfile.TemporaryDirectory(prefix="bench-") as tmp, \
            postgres(None) as server:
        trees = (before, ROOT)
        flags = sqlreview_flags()
        try:
            for name, once in fixed_measures(Path(tmp)):
                pairs.append(interleaved(Pair(name), once, trees, args.rounds))
            for size in args.sizes:
                project = Project(size, Path(tmp) / f"synth{size}", server, flags, None)
                progress(f"N={size}: writing the project and its database migrated to "
                         f"N - {PENDING}")
                project.prepare()
                for name, once in project_measures(project):
                    pairs.append(interleaved(Pair(name), once, trees, args.rounds))
        except CommandFailed as error:
            progress(f"FAILED: {error}")
            return 1
    print(table(short(args.ref), short("HEAD"), pairs, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
