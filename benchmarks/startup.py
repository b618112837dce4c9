"""Start-up: how long each `optbench` command takes to answer, this tree against a baseline.

    .venv/bin/python benchmarks/startup.py --baseline /path/to/other/checkout/src

Both run the real entry point (`python -m optbench …`) with PYTHONPATH set to their `src`, in
turns (baseline, candidate, baseline, …) so the machine's load drifts over both alike; each
command's median of `--rounds` runs (5) is printed, with the ratio baseline / candidate.

- `--help`, `ls`, `show`, `export`, `explain`: on a small study trained once beforehand
  (digits, 3 optimizers × 2 seeds, 2 epochs) by the candidate.
- `optimizers`: the candidate reads its per-machine cache of measured cards (warmed once,
  first-run time printed separately); the baseline has no cache and measures every time.
- `compare … (first step)`: from the process's start to the first training step of the
  README's seed study on Fashion-MNIST (a hook stamps the time at `StackedMLP.train_batch`'s
  first call, then the run is stopped): all the start-up that training waits for.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

# Runs `python -m optbench ARGS` with a hook that stamps the wall clock at the first training
# step (in whichever process takes it) into STAMP, created exclusively so the first one wins.
FIRST_STEP = r"""
import importlib.abc, importlib.util, os, runpy, sys, time

class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "optbench.engine.stacked":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            original = module.StackedMLP.train_batch

            def train_batch(self, *args, **kwargs):
                try:
                    fd = os.open(os.environ["STAMP"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                    os.write(fd, repr(time.time()).encode())
                    os.close(fd)
                except FileExistsError:
                    pass
                return original(self, *args, **kwargs)

            module.StackedMLP.train_batch = train_batch

        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, Hook())
sys.argv = ["optbench", *sys.argv[1:]]
runpy.run_module("optbench", run_name="__main__")
"""

# The README's seed study, word for word.
README_COMPARE = (
    "compare --dataset fashion-mnist --optimizers adam,adagrad,rmsprop --epochs 10 "
    "--batch-size 64 --profile keras"
)
COMPARE = README_COMPARE.split(" ")


def env_for(src: Path, cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "OPTBENCH_CACHE": str(cache), "COLUMNS": "80"}


def timed(args: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds for `python -m optbench ARGS` to exit (successfully)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "optbench", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"optbench {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def first_step(env: dict[str, str], cwd: Path) -> float:
    """Seconds from the process's start to its first training step (then it is stopped)."""
    out = Path(tempfile.mkdtemp(dir=cwd))
    stamp = out / "stamp"
    start = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-c", FIRST_STEP, *COMPARE, "--out", str(out / "study")],
        env={**env, "STAMP": str(stamp)},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while not stamp.exists() or not stamp.read_text():
            if proc.poll() is not None:
                raise SystemExit("the study ended without a training step (hook not reached)")
            time.sleep(0.005)
        return float(stamp.read_text()) - start
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        shutil.rmtree(out, ignore_errors=True)


def prepare(src: Path, cache: Path, cwd: Path) -> Path:
    """A small finished study for the reading commands (trained once by `src`)."""
    study = cwd / "runs" / "bench"
    args = "compare --dataset digits --optimizers adam,adagrad,rmsprop --epochs 2 --seeds 0,1"
    timed([*args.split(), "--out", str(study)], env_for(src, cache), cwd)
    return study


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other tree's src/")
    parser.add_argument("--candidate", type=Path, default=HERE / "src", help="default: ./src")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-compare", action="store_true", help="skip the first-step timing")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="optbench-startup-"))
    caches = {"baseline": work / "cache-baseline", "candidate": work / "cache-candidate"}
    srcs = {"baseline": args.baseline.resolve(), "candidate": args.candidate.resolve()}
    study = prepare(srcs["candidate"], caches["candidate"], work)
    commands = {
        "--help": ["--help"],
        "ls": ["ls", str(study.parent)],
        "show": ["show", str(study)],
        "export": ["export", str(study), "--format", "json"],
        "explain": ["explain"],
        "optimizers": ["optimizers"],
    }
    cold = timed(["optimizers"], env_for(srcs["candidate"], caches["candidate"]), work)
    print(f"candidate `optimizers`, first run here (measures, fills the cache): {cold:.2f} s")
    print(f"median of {args.rounds} runs, seconds; baseline {srcs['baseline']}")
    print(f"candidate {srcs['candidate']}")
    print(f"{'command':<28}{'baseline':>10}{'candidate':>11}{'ratio':>8}")
    rows = list(commands.items()) + ([] if args.no_compare else [("compare (to first step)", None)])
    for name, cmd in rows:
        times: dict[str, list[float]] = {"baseline": [], "candidate": []}
        for _ in range(args.rounds):
            for who in ("baseline", "candidate"):
                env = env_for(srcs[who], caches[who])
                times[who].append(first_step(env, work) if cmd is None else timed(cmd, env, work))
        base, cand = (statistics.median(times[w]) for w in ("baseline", "candidate"))
        print(f"{name:<28}{base:>10.3f}{cand:>11.3f}{base / cand:>7.2f}x", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
