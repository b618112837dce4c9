"""Speed of the seed study: optbench vs the plain PyTorch loop vs Keras, in the same run.

    python benchmarks/seed_speed.py                 # quiet machine
    python benchmarks/seed_speed.py --busy          # another process keeps one core busy
    python benchmarks/seed_speed.py --sweep         # the 63-trial lr sweep (3 opt × 7 lr × 3 seeds)
    python benchmarks/seed_speed.py --device cuda   # on a GPU (optbench and the plain loop)
    python benchmarks/seed_speed.py --rounds 5      # five rounds in turn, and median ratios
    python benchmarks/seed_speed.py --profile torch # one profile only (default: both)
    python benchmarks/seed_speed.py --sweep --before /tmp/old/src   # and an older tree's, in turn

Each contender runs as its own process, end to end (start-up, data loading, training,
evaluation every epoch, and for optbench its store, TensorBoard files and report), on
Fashion-MNIST from Debian's dataset-fashion-mnist. Keras runs when `--keras-python` points at
an interpreter with keras installed (the benchmark-only extra; see benchmarks/README.md).
optbench runs in both profiles (`--profile both`, the default): the torch profile is the
default a new user gets, the keras profile the homework's arithmetic. Prints the CPU, wall
times, ratios and achieved GFLOP/s against a GEMM peak measured here. A sweep also prints
where its time went (start-up, the trials on the pool's lanes, the report), read from its
store, and its cost per replica-step against one of its groups trained alone
(`group_alone.py`, run before and after it).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
MACS_PER_EXAMPLE = 784 * 128 + 128 * 10  # the seed MLP
TRAIN, TEST = 60_000, 10_000
Rows = list[tuple[str, float, float]]  # (contender, wall seconds, GFLOP)
SWEEP_BATCH = 64


def gemm_peak(device: str = "cpu") -> float:
    """Best fp32 GFLOP/s of a square matmul: 2048² with all cores (torch's default threads),
    or 8192² on a GPU (true fp32: torch leaves TF32 off for matmuls by default)."""
    torch.set_num_threads(os.cpu_count() or 1)
    n = 8192 if device.startswith("cuda") else 2048
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    best = 0.0
    for _ in range(8):
        _sync(device)
        start = time.perf_counter()
        a @ b
        _sync(device)
        best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def study_gflop(trials: int, epochs: int) -> float:
    """Training (forward + backward = 3 × 2 FLOP per MAC) plus evaluation (forward) FLOPs."""
    per_epoch = 6 * MACS_PER_EXAMPLE * TRAIN + 2 * MACS_PER_EXAMPLE * TEST
    return trials * epochs * per_epoch / 1e9


def timed(command: list[str], source: str | None = None) -> float:
    """Wall seconds of `command`; `source`: the optbench tree (src folder) it imports."""
    env = {**os.environ, "PYTHONPATH": source} if source else None
    start = time.perf_counter()
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def optbench_command(
    epochs: int, out: Path, device: str, data: str | None, profile: str = "keras"
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "optbench",
        "compare",
        "--dataset",
        "fashion-mnist",
        "--optimizers",
        "adam,adagrad,rmsprop",
        "--epochs",
        str(epochs),
        "--batch-size",
        "64",
        "--profile",
        profile,
        "--out",
        str(out),
        "--device",
        device,
        *(["--data-path", data] if data else []),
    ]


def sweep_file(epochs: int, folder: Path, device: str, data: str | None, profile: str) -> Path:
    lrs = "[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]"
    text = (
        f'name = "sweep63"\nepochs = {epochs}\nbatch_size = {SWEEP_BATCH}\nseeds = [0, 1, 2]\n'
        f'profile = "{profile}"\nmodel = "mlp"\ndevice = "{device}"\n'
        + (
            f'dataset = {{ name = "fashion-mnist", path = "{data}" }}\n'
            if data
            else 'dataset = "fashion-mnist"\n'
        )
        + "".join(
            f'[[optimizers]]\nname = "{o}"\nlr = {lrs}\n' for o in ("adam", "adagrad", "rmsprop")
        )
    )
    path = folder / f"sweep63-{profile}.toml"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--sweep", action="store_true", help="time the 63-trial sweep instead")
    parser.add_argument("--keras-python", default=None, help="python with keras installed")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (optbench and the loop)")
    parser.add_argument("--profile", default="both", choices=("both", "torch", "keras"))
    parser.add_argument("--data-path", default=None, help="Fashion-MNIST's IDX folder")
    parser.add_argument(
        "--before", default=None, help="with --sweep: also time this src tree's optbench, first"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the contenders this many times, in turn"
    )
    args = parser.parse_args()
    if args.data_path:  # for the plain loop and Keras (benchmarks/seed_data.py)
        os.environ["FASHION_MNIST_DIR"] = args.data_path

    rounds: list[Rows] = []
    for _ in range(args.rounds):
        peak = gemm_peak(args.device)  # the machine's, before any core is kept busy
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
        try:
            with tempfile.TemporaryDirectory() as tmp:
                rows = run_round(args, Path(tmp))
        finally:
            if busy:
                busy.kill()
                busy.wait()
        print_table(rows, peak, args)
        rounds.append(rows)
    if len(rounds) > 1:
        print_summary(rounds)


def run_round(args: argparse.Namespace, tmp: Path) -> Rows:
    """(contender, wall seconds, GFLOP) for each contender, optbench first."""
    profiles = ("torch", "keras") if args.profile == "both" else (args.profile,)
    if args.sweep:
        rows = []
        trees = [("before ", args.before), ("", None)] if args.before else [("", None)]
        for profile in profiles:
            sweep = sweep_file(args.epochs, tmp, args.device, args.data_path, profile)
            # A group alone (a CPU measurement) before and after the sweeps: the VM drifts.
            on_cpu = args.device == "cpu"
            alone = [group_alone(profile, args.data_path)] if on_cpu else []
            swept = 0.0  # µs a replica-step in the sweep of this tree (the last one timed)
            for label, source in trees:
                out = f"{tmp}/s-{profile}-{label.strip()}"
                command = [sys.executable, "-m", "optbench", "run", str(sweep), "--out", out]
                began = time.time()
                seconds = timed(command, source)
                name = f"optbench {label}sweep ({profile})"
                rows.append((name, seconds, study_gflop(63, args.epochs)))
                lanes = (os.cpu_count() or 1) if on_cpu else 1  # the pool's workers
                swept = print_phases(name, Path(out) / "study.sqlite", began, seconds, lanes)
            if on_cpu:
                alone.append(group_alone(profile, args.data_path))
                print_alone(profile, alone, swept)
        return rows
    flops = study_gflop(3, args.epochs)
    rows = []
    for profile in profiles:
        ours = optbench_command(args.epochs, tmp / profile, args.device, args.data_path, profile)
        rows.append((f"optbench ({profile} profile)", timed(ours), flops))
    if not args.skip_plain:
        plain = [
            sys.executable,
            str(HERE / "plain_torch_loop.py"),
            "--epochs",
            str(args.epochs),
            "--device",
            args.device,
        ]
        rows.append(("plain PyTorch loop", timed(plain), flops))
    if args.keras_python:
        keras = [args.keras_python, str(HERE / "keras_seed.py"), "--epochs", str(args.epochs)]
        rows.append(("Keras (TensorFlow backend)", timed(keras), flops))
    return rows


def print_phases(name: str, store: Path, began: float, seconds: float, workers: int) -> float:
    """Where a sweep's wall time went, from its store: start-up, the trials on the pool's
    `workers` lanes (the groups' training steps, their evaluations and epoch ends, a lane with
    nothing to do), and the report. Returns its cost per replica-step in µs
    (`EpochRecord.seconds` is a group's training time shared out over its replicas)."""
    with sqlite3.connect(store) as db:
        first, last = db.execute("SELECT min(started_at), max(finished_at) FROM trials").fetchone()
        lanes = db.execute(
            "SELECT sum((finished_at - started_at) / json_extract(env, '$.replicas')) FROM trials"
        ).fetchone()[0]
        steps, epochs = db.execute("SELECT sum(seconds), count(*) FROM epochs").fetchone()
    span = last - first
    per_step = 1e6 * steps / (epochs * -(-TRAIN // SWEEP_BATCH))
    print(
        f"{name}: start {first - began:.1f} s, trials {span:.1f} s (lane-seconds on"
        f" {workers} lanes: steps {steps:.1f}, evaluations and epoch ends {lanes - steps:.1f},"
        f" nothing to do {workers * span - lanes:.1f}),"
        f" report and exit {began + seconds - last:.1f} s;"
        f" {per_step:.0f} µs a replica-step",
        flush=True,
    )
    return per_step


def group_alone(profile: str, data: str | None) -> dict[str, float]:
    """µs per replica-step of one group of the sweep trained alone (benchmarks/group_alone.py),
    by optimizer."""
    command = [sys.executable, str(HERE / "group_alone.py"), "--profile", profile]
    done = subprocess.run(
        [*command, *(["--data-path", data] if data else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def print_alone(profile: str, runs: list[dict[str, float]], swept: float) -> None:
    """A group alone, measured before and after the sweeps of `profile`, and the sweep's own
    replica-step (`swept`, µs) over it: what training 63 trials on every core at once adds to
    the same arithmetic (the sweep trains as many trials of each optimizer: the mean of the
    three)."""
    means = [statistics.mean(run.values()) for run in runs]
    mean = statistics.mean(means)
    listed = ", ".join(
        f"{name} {statistics.mean(run[name] for run in runs):.0f}" for name in runs[0]
    )
    print(
        f"a group alone ({profile}): {mean:.0f} µs a replica-step (before the sweep"
        f" {means[0]:.0f}, after {means[-1]:.0f}; {listed});"
        f" the sweep's is {swept / mean:.2f} × that",
        flush=True,
    )


def print_table(rows: Rows, peak: float, args: argparse.Namespace) -> None:
    base = rows[0][1]
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else "2048², "
    where += "" if args.device.startswith("cuda") else f"{os.cpu_count()} threads"
    print(
        f"CPU: {cpu_name()}; torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()}"
    )
    print(
        f"GEMM peak (fp32, {where}): {peak:.0f} GFLOP/s"
        f"{'; one core kept busy by another process' if args.busy else ''}"
    )
    print(f"{'contender':32} {'wall s':>8} {'× optbench':>11} {'GFLOP/s':>8} {'% peak':>7}")
    for name, seconds, gflop in rows:
        rate = gflop / seconds
        print(
            f"{name:32} {seconds:8.1f} {seconds / base:11.2f} {rate:8.1f} {100 * rate / peak:6.1f}%"
        )
    print(flush=True)


def print_summary(rounds: list[Rows]) -> None:
    """Each contender against each optbench profile, round by round (a round's contenders ran
    one after the other, so they share the machine's speed of the moment), and the medians."""
    names = [name for name, _, _ in rounds[0]]
    print(f"over {len(rounds)} rounds: median wall time, and ratios per round (median last)")
    for i, name in enumerate(names):
        seconds = statistics.median(r[i][1] for r in rounds)
        print(f"{name:32} wall {seconds:6.1f} s (median)")
    for base, base_name in enumerate(names):
        if not base_name.startswith("optbench"):
            continue
        for i, name in enumerate(names):
            if i == base:
                continue
            ratios = [r[i][1] / r[base][1] for r in rounds]
            listed = " ".join(f"{ratio:.2f}" for ratio in ratios)
            print(f"  {name} ÷ {base_name}: {listed}   median {statistics.median(ratios):.2f}")


def cpu_name() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
