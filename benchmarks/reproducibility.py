"""Same study, same numbers: the README command under many schedules, and killed ten times.

Runs `optbench compare` (the README's seed study by default) in each configuration below,
reads every trial's digest (its per-epoch metrics and final weights, core/digest.py) and its
numerics configuration from the store, and prints them side by side. Then SIGKILLs the driver
of a fresh run at random moments (`--kills`), checks that none of its processes is alive
2 s after each kill, reruns the same command to the end, and compares digests and findings
with the first run.

    .venv/bin/python benchmarks/reproducibility.py --kills 10 \
        > benchmarks/results/reproducibility.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

README = [
    "--dataset", "fashion-mnist", "--optimizers", "adam,adagrad,rmsprop",
    "--epochs", "10", "--batch-size", "64", "--profile", "keras",
]  # fmt: skip
CONFIGURATIONS = [
    *[(f"default, run {i}", []) for i in range(1, 6)],
    ("--workers 1", ["--workers", "1"]),
    ("--workers 2", ["--workers", "2"]),
    ("--workers 4", ["--workers", "4"]),
    ("--no-stack", ["--no-stack"]),
    ("another process keeps a core busy", ["BUSY"]),
    ("--executor ray", ["--executor", "ray"]),
    ("--no-native (the autograd step)", ["--no-native"]),
]
ORPHAN_SECONDS = 2.0
FINDINGS = "SELECT trial_id, epoch, code, severity, message FROM findings ORDER BY 1, 2, 3, 5"


def cpu_name() -> str:
    with open("/proc/cpuinfo") as info:
        found = (line.split(":", 1)[1].strip() for line in info if "model name" in line)
        return next(found, "unknown")


def optbench(args: list[str], out: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "optbench", "compare", *args, "--out", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run(args: list[str], out: Path) -> float:
    busy = None
    if "BUSY" in args:
        args = [a for a in args if a != "BUSY"]
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    started = time.perf_counter()
    try:
        proc = optbench(args, out)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"optbench {' '.join(args)} failed:\n{err.decode()}")
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    return time.perf_counter() - started


def digests(out: Path) -> tuple[dict[str, str], str]:
    """Digest per trial label, and a short hash naming the numerics configuration(s)."""
    db = sqlite3.connect(out / "study.sqlite")
    rows = db.execute("SELECT label, digest, env FROM trials ORDER BY position").fetchall()
    configs = {json.dumps(json.loads(env)["numerics"], sort_keys=True) for *_, env in rows}
    names = ", ".join(sorted(hashlib.sha256(c.encode()).hexdigest()[:8] for c in configs))
    return {label: digest for label, digest, _ in rows}, names


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def epoch_rows(out: Path) -> int:
    try:
        with sqlite3.connect(f"file:{out / 'study.sqlite'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_once(args: list[str], out: Path, rng: random.Random) -> tuple[int, float]:
    """Start the study, SIGKILL its driver at a random moment; (rows then, seconds until its
    last process was gone)."""
    before = epoch_rows(out)
    proc = optbench(args, out)
    wait_rows = rng.random() < 0.7  # mostly mid-training; sometimes during start-up
    deadline = time.monotonic() + rng.uniform(0.3, 2.5)
    family: set[int] = set()
    while proc.poll() is None:
        family |= children(proc.pid)
        landed = epoch_rows(out) > before if wait_rows else time.monotonic() > deadline
        if landed:
            break
        time.sleep(0.01)
    time.sleep(rng.uniform(0, 0.4))
    family |= children(proc.pid)
    if proc.poll() is not None:
        return epoch_rows(out), 0.0
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = time.monotonic()
    while any(alive(p) for p in family) and time.monotonic() - killed < 10:
        time.sleep(0.01)
    gone = time.monotonic() - killed
    for p in family:
        if alive(p):
            os.kill(p, signal.SIGKILL)
    return epoch_rows(out), gone


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="optbench-repro-"))
    cpu = cpu_name()
    print(f"# Same study, same numbers\n\nCPU: {cpu}, {os.cpu_count()} cores. Command: "
          f"`optbench compare {' '.join(README)}` plus the options below.\n")
    print("| configuration | wall s | numerics | adam | adagrad | rmsprop |")
    print("|---|--:|---|---|---|---|")
    first: Path | None = None
    for i, (name, extra) in enumerate(CONFIGURATIONS):
        if args.skip_ray and "ray" in extra:
            continue
        out = scratch / f"c{i}"
        seconds = run([*README, *extra], out)
        found, numerics = digests(out)
        first = first or out
        cells = " | ".join(f"`{d}`" for d in found.values())
        print(f"| {name} | {seconds:.1f} | `{numerics}` | {cells} |", flush=True)

    assert first is not None
    rng, out = random.Random(args.seed), scratch / "killed"
    print(f"\n## {args.kills} SIGKILLs of the driver, then the same command again\n")
    print("| kill | epoch rows stored | last process gone after |")
    print("|--:|--:|--:|")
    worst = 0.0
    for k in range(1, args.kills + 1):
        rows, gone = kill_once(README, out, rng)
        worst = max(worst, gone)
        print(f"| {k} | {rows} | {gone:.2f} s |", flush=True)
    run(README, out)
    same_digests = digests(out)[0] == digests(first)[0]
    a, b = sqlite3.connect(out / "study.sqlite"), sqlite3.connect(first / "study.sqlite")
    same_findings = a.execute(FINDINGS).fetchall() == b.execute(FINDINGS).fetchall()
    print(f"\nAfter the rerun: digests equal to the first run: **{same_digests}**; findings "
          f"identical: **{same_findings}** ({len(a.execute(FINDINGS).fetchall())} findings); "
          f"slowest exit of a killed run's processes: **{worst:.2f} s** "
          f"(limit {ORPHAN_SECONDS:.0f} s).")
    shutil.rmtree(scratch, ignore_errors=True)
    if not (same_digests and same_findings and worst <= ORPHAN_SECONDS):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
