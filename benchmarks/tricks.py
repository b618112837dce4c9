"""Does each speed trick pay? The README command with one trick switched off at a time.

    .venv/bin/python benchmarks/tricks.py --rounds 5 [--only handoff,forecast]

Issue "One schema, one epoch loop, speed in one place": a trick stays only if it saves at
least 0.3 s on the README command (or 5 % on the 63-trial sweep). Each variant runs the CLI in
a fresh process with the trick disabled by a patch applied before the command starts
(`--run VARIANT`); the variants and the unpatched command take turns, round after round, so
the VM's drift hits all of them alike. Prints each variant's median wall time and its
difference from the unpatched command's median (positive = the trick saves that much).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

README = [
    "compare", "--dataset", "fashion-mnist", "--optimizers", "adam,adagrad,rmsprop",
    "--epochs", "10", "--batch-size", "64", "--profile", "keras",
]  # fmt: skip


def _off_early_pyplot() -> None:
    from optbench.driver import startup

    startup.import_pyplot = lambda: None


def _off_gc_freeze() -> None:
    from optbench.driver import startup

    startup.collector_skips_what_lives_now = contextlib.nullcontext


def _off_collector_pause() -> None:
    from optbench.core import startup

    startup.collector_paused = contextlib.nullcontext  # before any module imports the name


def _off_os_exit() -> None:
    from optbench.cli import app

    app._nothing_left_running = lambda: False


def _off_plain_step() -> None:
    from optbench.engine import replica

    replica.plain_step = lambda optimizer: optimizer.step


def _off_gathered() -> None:
    from optbench.optim import native_update

    native_update.Gathered.holds = lambda self, params, state: False  # gather every step


def _off_handoff() -> None:
    from optbench.engine import handoff

    handoff.Handoff.request = lambda self, replicas: None


def _off_forecast() -> None:
    from optbench.executors import forecast

    forecast.Forecast.move_now = lambda self, *args, **kwargs: False


def _off_inflated() -> None:
    from optbench.data import idx, inflated

    inflated.cached_inflation = lambda source, folder: None
    inflated.keep_inflation = lambda source, data, folder: None
    idx.cached_inflation, idx.keep_inflation = inflated.cached_inflation, inflated.keep_inflation


def _off_two_core_figures() -> None:
    from optbench.report import figures

    figures.draw_on_two_cores = lambda jobs: [job() for job in jobs]


VARIANTS: dict[str, Callable[[], None] | None] = {
    "none": None,
    "early-pyplot": _off_early_pyplot,
    "gc-freeze": _off_gc_freeze,
    "collector-pause": _off_collector_pause,
    "os-exit": _off_os_exit,
    "plain-step": _off_plain_step,
    "gathered": _off_gathered,
    "handoff": _off_handoff,
    "forecast": _off_forecast,
    "inflated": _off_inflated,
    "two-core-figures": _off_two_core_figures,
}


def run_variant(name: str, argv: list[str]) -> None:
    """In this process: switch the trick off, then run the CLI as the console script does."""
    off = VARIANTS[name]
    if off is not None:
        off()
    from optbench.cli import app

    sys.argv = ["optbench", *argv]
    app.run()


def timed(name: str, out: Path) -> float:
    command = [sys.executable, __file__, "--run", name, "--", *README, "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="comma list of variants (default: all)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.run:
        run_variant(args.run, [a for a in rest if a != "--"])
        return
    names = ["none", *(args.only.split(",") if args.only else [v for v in VARIANTS if v != "none"])]
    scratch = Path(tempfile.mkdtemp(prefix="optbench-tricks-"))
    with open("/proc/cpuinfo") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), "?")
    print(f"CPU: {cpu}; command: optbench {' '.join(README)}; {args.rounds} rounds")
    timed("none", scratch / "warm")
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(timed(name, scratch / f"{name}-{r}"))
        print(f"round {r + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f}" for n in names), flush=True)
    base = statistics.median(times["none"])
    print("\n| trick switched off | median s | saves (s) |\n|---|--:|--:|")
    print(f"| (none) | {base:.2f} | |")
    for name in names[1:]:
        median = statistics.median(times[name])
        print(f"| {name} | {median:.2f} | {median - base:+.2f} |")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
