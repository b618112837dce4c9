"""Screenshots of the terminal at 80 columns, for the docs: `optimizers`, `ls` and `show`.

    .venv/bin/python tests/report/terminal_screenshots.py RUNS_FOLDER STUDY_FOLDER

Each command's output is rendered by rich exactly as a terminal 80 columns wide shows it
(`Console(record=True, width=80)`), saved as SVG, and photographed by headless Chromium
(`headless.py`) into docs/terminal-<command>-80.png. The tests never run this.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.terminal_theme import MONOKAI

sys.path.insert(0, str(Path(__file__).parent))

from headless import inspect

from optbench.cli.cards_view import card_view, print_tables
from optbench.cli.render import print_listing, print_results
from optbench.optim.card_cache import cached_cards
from optbench.report import list_studies, open_study

DOCS = Path(__file__).parents[2] / "docs"


def shoot(name: str, command: str, draw: Callable[[Console], None]) -> Path:
    """Render `draw` at 80 columns, as SVG and then PNG; return the PNG's path."""
    console = Console(
        record=True, width=80, force_terminal=True, color_system="truecolor", file=io.StringIO()
    )
    console.print(f"[bold green]$[/] {command}", highlight=False)
    draw(console)
    svg = console.export_svg(title=command, theme=MONOKAI)
    width, height = (
        int(float(v)) + 1 for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups()
    )
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / f"{name}.svg"
        page.write_text(svg, encoding="utf-8")
        shot = inspect(page, width, height).screenshot
    path = DOCS / f"terminal-{name}-80.png"
    path.write_bytes(shot)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, help="a folder of studies (for ls)")
    parser.add_argument("study", type=Path, help="one study folder (for show)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "optbench")
    args = parser.parse_args()
    cards = cached_cards(None, "torch", args.cache)
    listings = list_studies(args.runs)
    view = open_study(args.study)
    shots = [
        shoot("optimizers", "optbench optimizers", lambda c: print_tables(c, cards, False)),
        shoot(
            "optimizers-adam",
            "optbench optimizers adam",
            lambda c: c.print(card_view(cached_cards(["adam"], "torch", args.cache)[0])),
        ),
        shoot("ls", f"optbench ls {args.runs}", lambda c: print_listing(c, listings, args.runs)),
        shoot("show", f"optbench show {args.study}", lambda c: print_results(c, view)),
    ]
    for path in shots:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
