"""The thread rule: one torch thread per training process, whatever the machine's load; the
idle-core sample that only times the report's imports; the cost model of a step."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from torch import nn

from optbench.api import load_study
from optbench.core.specs import EpochRecord, ModelSpec, OptimizerSpec, TrialSpec, TrialStarted
from optbench.engine import THREADS, TrainOptions, train_trial
from optbench.executors import plan_resources
from optbench.models import model_cost
from optbench.plan import expand


def test_every_phase_trains_with_one_thread_and_says_why(digits) -> None:
    for executor in ("local", "ray"):
        raw = {"name": "r", "dataset": {"name": "digits"}, "optimizers": [{"name": "adam"}]}
        study = load_study({**raw, "executor": executor})
        resources = plan_resources(study, expand(study), digits, parallel=1)
        assert resources.threads == THREADS == 1
        assert "never depend on a thread count" in resources.thread_policy


def test_a_trial_trains_with_one_thread_whatever_the_process_had(digits_spec, digits) -> None:
    """A process left at 3 threads (a notebook, say) trains a trial exactly as one at 1."""
    spec = TrialSpec(digits_spec, ModelSpec(hidden=(32,)), OptimizerSpec("adam"), 0, 2, 64)

    def run() -> list[tuple[float, ...]]:
        events = list(train_trial(spec, digits, TrainOptions(histogram_freq=0, monitors=False)))
        started = next(e for e in events if isinstance(e, TrialStarted))
        assert started.env["threads"] == 1 and started.env["numerics"]["threads"] == 1
        return [
            (e.train_loss, e.val_loss, e.grad_norm) for e in events if isinstance(e, EpochRecord)
        ]

    torch.set_num_threads(3)
    busy = run()
    assert torch.get_num_threads() == 1  # the trial set it
    torch.set_num_threads(1)
    assert run() == busy


def test_macs_of_a_convolution() -> None:
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 8 * 8, 2))
    # every one of the 8×8×8 outputs takes 3 channels × 3×3 taps; then 512 → 2
    assert model_cost(model, (3, 8, 8)).macs == 8 * 8 * 8 * 3 * 9 + 512 * 2
    assert model.training  # mode restored


@pytest.mark.parametrize("groups", [1, 4])
def test_macs_of_a_grouped_convolution(groups: int) -> None:
    conv = nn.Conv2d(4, 8, 3, groups=groups)
    assert model_cost(conv, (4, 5, 5)).macs == 8 * 3 * 3 * (4 // groups) * 9
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("threads", [1, 3])
def test_use_threads_sets_torch_and_numpy_blas_alike(threads: int) -> None:
    # In a fresh process: the limits are process-wide. numpy's OpenBLAS is what a histogram's
    # sum of squares wakes up; its pool must be no larger than the trial's share.
    code = (
        "import json, numpy, torch\n"
        "from threadpoolctl import threadpool_info\n"
        "from optbench.engine import use_threads\n"
        f"use_threads({threads})\n"
        "blas = [p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas']\n"
        "print(json.dumps([torch.get_num_threads(), blas]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    torch_threads, blas = json.loads(out.stdout)
    assert torch_threads == threads
    assert blas and set(blas) == {threads}  # numpy ships an OpenBLAS: found, and set
