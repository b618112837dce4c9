"""Overhead of the Ray executor against the local one, on the same study, startup included.

    python benchmarks/ray_overhead.py                        # local, then ray (ray.init)
    python benchmarks/ray_overhead.py --cluster --repeats 2  # also a 2-node `ray start` cluster
    python benchmarks/ray_overhead.py --markdown benchmarks/results/ray_overhead.md
    python benchmarks/ray_overhead.py --cluster --repeats 3 --epochs 6  # a >= 30 s study

The study: Fashion-MNIST (Debian's dataset-fashion-mnist, /usr/share/datasets/fashion-mnist),
mlp:128, batch 64, 4 optimizers × 3 seeds = 12 trials, 2 epochs. Each run is a whole
`optbench.run_study` into a fresh folder (store, TensorBoard, report included), timed from the
call to its return:

- `local`: the default local executor (one trial group per core, a process pool);
- `ray`: `executor = "ray"` without an address, so the time includes starting a Ray runtime in
  this process (`ray.init`), putting the dataset in the object store, the workers' start-up,
  and stopping Ray again;
- `ray cluster` (`--cluster`): the time of `ray start --head` plus `ray start --address …` for a
  second node process on loopback (tests/executors/ray_cluster.py), then the study against it.

Runs are interleaved (local, ray, [cluster], local, ray, …) so that load from other processes
on a shared machine hits every executor alike. Acceptance: ray ≤ 1.5 × local.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Ray settings for this process and every Ray process it starts: no usage stats, no token
# authentication (a new local Ray would otherwise write ~/.ray/auth_token).
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

import optbench  # noqa: E402
from optbench.engine import available_cores  # noqa: E402
from optbench.store import Store  # noqa: E402

METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")

STUDY = {
    "name": "ray-overhead",
    "dataset": "fashion-mnist",
    "model": {"name": "mlp", "hidden": [128]},
    "optimizers": ["adam", "sgd", "rmsprop", "adagrad"],
    "seeds": [0, 1, 2],
    "epochs": 2,
    "batch_size": 64,
}


def run_local(out: Path, cache: Path) -> float:
    start = time.perf_counter()
    outcome = optbench.run_study(STUDY, out, cache_dir=cache)
    assert outcome.finished == 12, outcome
    return time.perf_counter() - start


def run_ray(out: Path, cache: Path) -> float:
    start = time.perf_counter()
    outcome = optbench.run_study({**STUDY, "executor": "ray"}, out, cache_dir=cache)
    assert outcome.finished == 12, outcome
    return time.perf_counter() - start


def run_cluster(out: Path, cache: Path) -> float:
    sys.path.insert(0, str(ROOT / "tests" / "executors"))
    from ray_cluster import LoopbackCluster

    start = time.perf_counter()
    cluster = LoopbackCluster(nodes=2, cpus=available_cores() // 2 or 1, object_store_bytes=2**29)
    try:
        address = cluster.start()
        raw = {**STUDY, "executor": "ray", "address": address}
        outcome = optbench.run_study(raw, out, cache_dir=cache)
        assert outcome.finished == 12, outcome
        return time.perf_counter() - start
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cluster", action="store_true", help="also a 2-node ray start cluster")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "optbench")
    parser.add_argument("--markdown", type=Path, help="append the results table here")
    parser.add_argument(
        "--epochs",
        type=int,
        default=2,
        help="epochs per trial (the issue asks for a study of "
        "at least 30 s with the local executor: 6 epochs, now that 2 take ~15 s)",
    )
    args = parser.parse_args()
    STUDY["epochs"] = args.epochs

    runs = {"local": run_local, "ray": run_ray}
    if args.cluster:
        runs["ray cluster"] = run_cluster
    times: dict[str, list[float]] = {name: [] for name in runs}
    differ: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="obbench"))
    os.environ["RAY_TMPDIR"] = str(scratch)  # our own Ray session folders, removed at the end
    try:
        for repeat in range(args.repeats):
            for name, run in runs.items():
                folder = scratch / f"{name.replace(' ', '-')}-{repeat}"
                times[name].append(run(folder, args.cache))
                print(f"{name:12s} run {repeat + 1}: {times[name][-1]:6.1f} s", flush=True)
                if _epochs(folder) != _epochs(scratch / "local-0"):
                    differ.append(f"{name} run {repeat + 1}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    table = _table(times) + "\n\n" + _agreement(differ, len(runs) * args.repeats)
    print(table)
    if args.markdown:
        with args.markdown.open("a") as handle:
            handle.write(table + "\n")


def _epochs(folder: Path) -> dict[tuple[str, int], tuple[float, ...]]:
    store = Store(folder / "study.sqlite")
    try:
        return {(r["trial_id"], r["epoch"]): tuple(r[m] for m in METRICS) for r in store.epochs()}
    finally:
        store.close()


def _agreement(differ: list[str], runs: int) -> str:
    if differ:
        return f"Per-epoch metrics DIFFER from the first local run in: {', '.join(differ)}."
    return (
        f"Per-epoch metrics ({', '.join(METRICS)}) of all {runs} runs are identical to the "
        f"first local run's: 12 trials × {STUDY['epochs']} epochs, compared exactly."
    )


def _table(times: dict[str, list[float]]) -> str:
    local = statistics.median(times["local"])
    lines = [
        f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
        f"{available_cores()} cores",
        "",
        "| executor | runs (s) | median (s) | × local |",
        "|---|---|---|---|",
    ]
    for name, values in times.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v:.1f}" for v in values)
        lines.append(f"| {name} | {runs} | {median:.1f} | {median / local:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
