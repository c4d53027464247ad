"""Regenerate the reporters' golden files from ``tests/report/cases.py``.

    python -m tests.report.update_golden

Then read the diff (``git diff tests/report/golden``) before committing it:
the golden files are what a reviewer sees, and a change to them is a change
to the report.
"""

from __future__ import annotations

import django

from tests.report import sample_golden
from tests.report.cases import GOLDEN, GOLDEN_DIR, golden_path, render


def main() -> None:
    GOLDEN_DIR.mkdir(exist_ok=True)
    for case, formats in GOLDEN.items():
        for output_format in formats:
            path = golden_path(case, output_format)
            text = render(case, output_format)
            changed = not path.exists() or path.read_text(encoding="utf-8") != text
            path.write_text(text, encoding="utf-8")
            print(f"{'updated' if changed else 'same   '}  {path.relative_to(GOLDEN_DIR.parent)}")
    if django.VERSION[:2] != sample_golden.DJANGO:
        print(f"sample_migrations.*.txt left as they are: they are written under Django "
              f"{sample_golden.DJANGO[0]}.{sample_golden.DJANGO[1]}")
        return
    for width in sample_golden.WIDTHS:
        _code, text = sample_golden.sample_report(width)
        path = sample_golden.golden_path(width)
        changed = not path.exists() or path.read_text(encoding="utf-8") != text
        path.write_text(text, encoding="utf-8")
        print(f"{'updated' if changed else 'same   '}  {path.relative_to(GOLDEN_DIR.parent)}")


if __name__ == "__main__":
    main()
