"""Keep the README's reference sections generated from the code's own data.

    python -m sqlreview.docs          rewrite the generated sections of README.md
    python -m sqlreview.docs --check  exit 1 if README.md is out of date (the tests do this)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from sqlreview.pg import knowledge, rules

README = Path(__file__).resolve().parent.parent / "README.md"

GENERATORS: dict[str, Callable[[], str]] = {
    "lock-reference": knowledge.render_markdown,
    "rules": rules.render_markdown,
}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {name} -->\n)(.*?)(<!-- END GENERATED: {name} -->)",
        re.DOTALL,
    )


def _filler(generated: str) -> Callable[[re.Match[str]], str]:
    def fill(match: re.Match[str]) -> str:
        return f"{match.group(1)}{generated}\n{match.group(3)}"

    return fill


def render(text: str) -> str:
    for name, generate in GENERATORS.items():
        pattern = _block(name)
        if not pattern.search(text):
            raise ValueError(f"README.md has no generated section {name!r}")
        text = pattern.sub(_filler(generate()), text)
    return text


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    wanted = render(current)
    if "--check" in argv:
        if wanted != current:
            print("README.md is out of date: run python -m sqlreview.docs", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
