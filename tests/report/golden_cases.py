"""The golden-file cases: each renders one output from a hand-written store, masked.

`test_golden.py` compares them with `golden/`; `update_golden.py --write` (never the tests)
rewrites the files after a deliberate change.
"""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from synthetic import build_study

from optbench.api import open_study
from optbench.cli.render import print_listing, print_results
from optbench.report import list_studies, render_markdown

GOLDEN = Path(__file__).parent / "golden"
WIDTH = 100
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def mask(text: str, root: Path | None = None) -> str:
    """Paths under the temporary folder and wall-clock times become placeholders."""
    if root is not None:
        text = text.replace(str(root), "<tmp>")
    return TIME.sub("<time>", text)


def terminal(render: Callable[[Console], None], width: int = WIDTH) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False)
    render(console)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def report_md(tmp: Path) -> str:
    return render_markdown(open_study(build_study(tmp / "s")))


def report_one_seed_md(tmp: Path) -> str:
    return render_markdown(open_study(build_study(tmp / "s", seeds=(0,), failure=False)))


def show_txt(tmp: Path) -> str:
    view = open_study(build_study(tmp / "s"))
    return terminal(lambda console: print_results(console, view))


def show_80_txt(tmp: Path) -> str:
    """`show` in a standard 80-column terminal: the results table still fits."""
    view = open_study(build_study(tmp / "s"))
    return terminal(lambda console: print_results(console, view), 80)


def show_one_seed_txt(tmp: Path) -> str:
    view = open_study(build_study(tmp / "s", seeds=(0,), failure=False, findings=False))
    return terminal(lambda console: print_results(console, view))


def ls_txt(tmp: Path, width: int = WIDTH) -> str:
    runs = tmp / "runs"
    build_study(runs / "done", failure=False, name="done")
    build_study(runs / "with-failure", seeds=(0, 1, 2, 3, 4), name="with-failure")
    interrupted = build_study(runs / "interrupted", seeds=(0, 1), name="interrupted")
    db = sqlite3.connect(interrupted / "study.sqlite")
    db.execute("UPDATE trials SET status = 'pending' WHERE seed = 1")
    db.commit()
    db.close()
    (runs / "broken").mkdir()
    (runs / "broken" / "study.sqlite").write_bytes(b"not a database, just bytes" * 100)
    with contextlib.chdir(tmp):  # relative paths: the same text (and wrapping) in every tmp
        listings = list_studies(Path("runs"))
        return mask(terminal(lambda console: print_listing(console, listings, Path("runs")), width))


def ls_80_txt(tmp: Path) -> str:
    """`ls` at 80 columns: names and times whole, optimizer lists wrapped between items."""
    return ls_txt(tmp, 80)


CASES: dict[str, Callable[[Path], str]] = {
    "report.md": report_md,
    "report-one-seed.md": report_one_seed_md,
    "show.txt": show_txt,
    "show-80.txt": show_80_txt,
    "show-one-seed.txt": show_one_seed_txt,
    "ls.txt": ls_txt,
    "ls-80.txt": ls_80_txt,
}
