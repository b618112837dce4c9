"""Rewrite the golden files (and, given a study folder, the docs screenshot) on purpose.

    .venv/bin/python tests/report/update_golden.py --write
    .venv/bin/python tests/report/update_golden.py --screenshot runs/seed-fashion-mnist

Without --write it only shows which files would change. The tests never rewrite anything.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from golden_cases import CASES, GOLDEN
from headless import inspect

DOCS = Path(__file__).parents[2] / "docs"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite changed golden files")
    parser.add_argument("--screenshot", type=Path, help="a study folder with report.html")
    args = parser.parse_args()
    changed = 0
    for name, render in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            text = render(Path(tmp))
        path = GOLDEN / name
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old == text:
            continue
        changed += 1
        sys.stdout.writelines(
            difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), f"golden/{name}", "new"
            )
        )
        if args.write:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.screenshot:
        shot = inspect(args.screenshot / "report.html", 1280, 1000).screenshot
        (DOCS / "report-screenshot.png").write_bytes(shot)
        print(f"wrote {DOCS / 'report-screenshot.png'}")
    print(f"{changed} golden file(s) differ" + ("" if args.write else " (use --write)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
