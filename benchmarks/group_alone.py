"""One replica group of the 63-trial sweep trained alone: its cost per replica-step.

    python benchmarks/group_alone.py --data-path /usr/share/datasets/fashion-mnist

For each optimizer of the sweep (adam, adagrad, rmsprop: seed 0, the first six of its seven
learning rates), one group of six replicas trains one epoch in this process, on one thread, with
nothing else running: the same trainer, group step and optimizer kernels the sweep runs, so the
same arithmetic. Prints one JSON line: microseconds per replica-step (one replica's forward,
backward and update on one batch of 64), per optimizer. `seed_speed.py --sweep` runs it beside
the sweep: the sweep's own cost per replica-step, over this one, is what running 63 trials on
two cores at once (two workers sharing the cache and the memory, the driver beside them) adds.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
from pathlib import Path

from optbench.core.paths import default_cache_dir
from optbench.core.specs import EpochRecord
from optbench.data.load import load_dataset
from optbench.engine.trainer import TrainOptions, train_group
from optbench.plan.expand import expand
from optbench.plan.study_file import load_study_file

LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]  # one group: six replicas, as the sweep's
OPTIMIZERS = ("adam", "adagrad", "rmsprop")


def replica_step_us(optimizer: str, profile: str, data_path: str | None, folder: Path) -> float:
    """One epoch of a six-replica group alone; microseconds per replica-step."""
    dataset = (
        f'{{ name = "fashion-mnist", path = "{data_path}" }}' if data_path else '"fashion-mnist"'
    )
    study = folder / f"{optimizer}-{profile}.toml"
    study.write_text(
        f'name = "alone"\nepochs = 1\nbatch_size = 64\nseeds = [0]\nprofile = "{profile}"\n'
        f'model = "mlp"\ndataset = {dataset}\n'
        f'[[optimizers]]\nname = "{optimizer}"\nlr = {LEARNING_RATES}\n'
    )
    specs = expand(load_study_file(study))
    data = load_dataset(specs[0].dataset, default_cache_dir())
    steps = -(-len(data.train.y) // specs[0].batch_size)
    gc.freeze()  # what lives now lives through the study: as in the sweep's workers
    for event in train_group(specs, data, TrainOptions(threads=1)):
        if isinstance(event, EpochRecord):  # `seconds`: the group's time, shared out
            return 1e6 * event.seconds / steps
    raise SystemExit(f"{optimizer}: the group trained no epoch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="torch", choices=("torch", "keras"))
    parser.add_argument("--data-path", default=None, help="Fashion-MNIST's IDX folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        costs = {o: replica_step_us(o, args.profile, args.data_path, Path(tmp)) for o in OPTIMIZERS}
    print(json.dumps(costs))


if __name__ == "__main__":
    main()
