"""Optimizers for executor tests, imported by path (`executor_test_optim:ExplodingSGD`).

The Ray test cluster has this folder on its workers' PYTHONPATH, as a real cluster would have
the user's package installed on every node.
"""

from __future__ import annotations

import os
import time

import torch

# Seconds SlowSGD sleeps per step. Set only in the Ray test cluster's environment, so the same
# trial (same id, same numbers) runs fast in the test process and slowly on Ray workers.
DELAY_VARIABLE = "OPTBENCH_TEST_STEP_DELAY"


class ExplodingSGD(torch.optim.SGD):
    """Plain SGD that raises on step `explode_at` (after its first epoch on digits)."""

    def __init__(self, params, lr: float = 0.05, explode_at: int = 60) -> None:
        super().__init__(params, lr=lr)
        self.explode_at = explode_at
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        if self.steps >= self.explode_at:
            raise RuntimeError(f"ExplodingSGD exploded at step {self.steps}")
        return super().step(closure)


class SlowSGD(torch.optim.SGD):
    """Plain SGD, slowed down on Ray workers so a test can act while a trial runs."""

    def __init__(self, params, lr: float = 0.05) -> None:
        super().__init__(params, lr=lr)
        self.delay = float(os.environ.get(DELAY_VARIABLE, "0"))

    def step(self, closure=None):
        if self.delay:
            time.sleep(self.delay)
        return super().step(closure)
