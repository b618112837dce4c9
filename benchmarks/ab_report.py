"""A study's report (report.md, report.html, the figures) under two source trees: CPU time A vs B.

For changes to the report and its figures: each tree's process regenerates the same study's
report from its store (`optbench.api.report`, as `optbench report DIR` does) once untimed, then
`--repeats` times, and prints the median CPU time of its process (time.process_time: the VM's
drift moves it less than wall time). The trees run in turn, round after round.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/ab_report.py --a /tmp/before/src --b src --study runs/<name>
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# Runs in the tree's process: the report once to warm up, then the timed repeats.
TIMED = """
import sys, time
from pathlib import Path
from optbench.api import report
folder, repeats = Path(sys.argv[1]), int(sys.argv[2])
report(folder)
for _ in range(repeats):
    started = time.process_time()
    report(folder)
    print(time.process_time() - started)
"""


def timed(source: Path, study: Path, repeats: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(source.resolve())}
    command = [sys.executable, "-c", TIMED, str(study), str(repeats)]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return [float(line) for line in done.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=Path, required=True, help="src folder of tree A (before)")
    parser.add_argument("--b", type=Path, required=True, help="src folder of tree B (after)")
    parser.add_argument("--study", type=Path, required=True, help="a finished study's folder")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="reports per process")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="optbench-ab-report-"))
    copies = {}
    for name in ("A", "B"):  # each tree writes into its own copy of the study
        copies[name] = scratch / name
        shutil.copytree(args.study, copies[name])
    times: dict[str, list[float]] = {"A": [], "B": []}
    trees = {"A": args.a, "B": args.b}
    for r in range(1, args.rounds + 1):
        for name in ("A", "B") if r % 2 else ("B", "A"):  # who goes first alternates
            times[name] += timed(trees[name], copies[name], args.repeats)
        print(f"round {r}: A {statistics.median(times['A']):.3f} s, "
              f"B {statistics.median(times['B']):.3f} s (medians so far)", flush=True)
    a, b = statistics.median(times["A"]), statistics.median(times["B"])
    print(f"median CPU s per report: A {a:.3f} ({args.a}), B {b:.3f} ({args.b}), B/A {b / a:.3f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
