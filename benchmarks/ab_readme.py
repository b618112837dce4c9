"""The README command under two source trees, alternating, in one run: wall time A vs B.

For changes that must not slow the seed study down (the issue's "within 5 % of today's"): the
VM's speed drifts within minutes, so the two trees run in turn, round after round, each from a
fresh output folder, and the ratio of their medians is what counts. A first, untimed run of
each tree builds its native step and warms the caches.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/ab_readme.py --a /tmp/before/src --b src --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

README = [
    "compare", "--dataset", "fashion-mnist", "--optimizers", "adam,adagrad,rmsprop",
    "--epochs", "10", "--batch-size", "64", "--profile", "keras",
]  # fmt: skip


def timed(source: Path, out: Path, extra: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(source.resolve())}
    command = [sys.executable, "-m", "optbench", *README, *extra, "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", type=Path, required=True, help="src folder of tree A (before)")
    parser.add_argument("--b", type=Path, required=True, help="src folder of tree B (after)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--extra", default="", help="more options for the command")
    args = parser.parse_args()
    extra = args.extra.split()
    scratch = Path(tempfile.mkdtemp(prefix="optbench-ab-"))
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), "?")
    print(f"CPU: {cpu}; command: optbench {' '.join(README + extra)}")
    for name, tree in (("A", args.a), ("B", args.b)):
        timed(tree, scratch / f"warm-{name}", extra)
    times: dict[str, list[float]] = {"A": [], "B": []}
    for r in range(1, args.rounds + 1):
        order = [("A", args.a), ("B", args.b)]
        for name, tree in order if r % 2 else order[::-1]:  # who goes first alternates
            times[name].append(timed(tree, scratch / f"{name}{r}", extra))
        print(f"round {r}: A {times['A'][-1]:.2f} s, B {times['B'][-1]:.2f} s, "
              f"B/A {times['B'][-1] / times['A'][-1]:.3f}", flush=True)
    a, b = statistics.median(times["A"]), statistics.median(times["B"])
    print(f"median: A {a:.2f} s ({args.a}), B {b:.2f} s ({args.b}), B/A {b / a:.3f}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
