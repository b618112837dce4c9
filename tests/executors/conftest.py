"""A real Ray cluster for the executor tests: a head node and a second node, on loopback.

Started once for the module that uses it (5–15 s) and stopped after it, leaving no process
behind. Skipped, with the reason, only where Ray is not installed (CI installs it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The helpers beside this file (the test cluster, optimizers by import path) import by name,
# in this process as on the cluster's workers (PYTHONPATH below).
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from executor_test_optim import DELAY_VARIABLE  # noqa: E402
from ray_cluster import CLUSTER_ENV, LoopbackCluster  # noqa: E402

STEP_DELAY = "0.01"  # SlowSGD's sleep per step on the cluster: ~0.5 s per digits epoch


@pytest.fixture(scope="module")
def ray_env() -> Iterator[None]:
    """The cluster's Ray settings in this process too (the driver side): no usage stats, and
    no token authentication. Without RAY_AUTH_MODE a new local Ray writes a token to
    ~/.ray/auth_token, which then switches on token mode for every later `ray start`."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CLUSTER_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def ray_cluster(ray_env: None) -> Iterator[LoopbackCluster]:
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'optbench[ray]'")

    cluster = LoopbackCluster(
        nodes=2, cpus=1, env={"PYTHONPATH": str(HERE), DELAY_VARIABLE: STEP_DELAY}
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
