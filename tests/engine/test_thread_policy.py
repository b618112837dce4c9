"""The thread policy: idle cores shared out, but only to models with the arithmetic to use them."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import torch
from torch import nn

from optbench.engine import (
    MIN_MACS_PER_THREAD,
    IdleSample,
    available_cores,
    choose_threads,
    idle_cores,
)
from optbench.engine.env import IDLE_SAMPLE_SECONDS
from optbench.models import model_cost

SEED_MLP_STEP = (784 * 128 + 128 * 10) * 64  # forward MACs of one batch of 64


def test_a_tiny_model_gets_one_thread_however_idle_the_machine() -> None:
    digits_step = (64 * 128 + 128 * 10) * 64
    assert digits_step < MIN_MACS_PER_THREAD
    assert choose_threads(1, digits_step, idle=8.0).threads == 1


def test_idle_cores_are_shared_among_the_trials_side_by_side() -> None:
    assert choose_threads(1, SEED_MLP_STEP, idle=2.0).threads == 2
    assert choose_threads(2, SEED_MLP_STEP, idle=2.0).threads == 1
    assert choose_threads(2, 100 * SEED_MLP_STEP, idle=8.0).threads == 4


def test_a_busy_core_is_not_counted() -> None:
    # The plain loop's trap: two threads while another process keeps one of two cores busy.
    choice = choose_threads(1, SEED_MLP_STEP, idle=0.9)
    assert choice.threads == 1
    assert "0.9 of" in choice.reason and "1 side by side" in choice.reason


def test_the_work_per_step_caps_the_threads() -> None:
    assert choose_threads(1, 2.5 * MIN_MACS_PER_THREAD, idle=16.0).threads == 2


def test_idle_cores_sees_a_process_that_keeps_a_core_busy() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        idle = idle_cores(window=0.5)
    finally:
        busy.kill()
        busy.wait()
    assert 0.0 <= idle <= available_cores() - 0.5


def test_a_sample_across_our_own_work_does_not_count_it_as_load() -> None:
    """The driver samples idle cores while it reads the dataset: its own CPU time is not
    another process's load. (Counting it would make this ~1 core lower than `quiet`.)"""
    quiet = idle_cores()
    sample = IdleSample()
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # one core busy, in this process
        pass
    assert sample.idle() >= quiet - 0.5


def test_a_short_sample_is_slept_out_to_the_minimum_window() -> None:
    started = time.monotonic()
    IdleSample().idle()
    assert time.monotonic() - started >= IDLE_SAMPLE_SECONDS


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
