"""Replica groups sized to the memory, and the resources a phase gets from the machine."""

from __future__ import annotations

from optbench.api import load_study
from optbench.core.specs import ModelSpec
from optbench.engine import MAX_REPLICAS
from optbench.engine.env import _cache_bytes, _cpu_count, shared_cache
from optbench.engine.trainer import EVAL_CHUNK
from optbench.executors import plan_resources, replicas_that_fit
from optbench.executors.resources import replicas_in_cache
from optbench.models import ModelCost, build_model, model_cost
from optbench.plan import expand

MiB = 2**20


def test_model_cost_of_the_seed_mlp() -> None:
    cost = model_cost(build_model(ModelSpec(), (28, 28), 10, seed=0), (28, 28))
    assert cost.macs == 784 * 128 + 128 * 10
    assert cost.parameters == 784 * 128 + 128 + 128 * 10 + 10
    # leaf outputs of one example: flatten 784, linear 128, relu 128, linear 10
    assert cost.activations == 784 + 128 + 128 + 10
    weights = cost.parameters * 6  # weight, grad, 3 optimizer slots, 1 temporary
    assert cost.train_bytes(64) == 4 * (weights + 2 * cost.activations * 64)


def test_small_models_are_capped_by_max_replicas_not_memory() -> None:
    cost = model_cost(build_model(ModelSpec(), (28, 28), 10, seed=0), (28, 28))
    assert replicas_that_fit(cost, 64, memory=24 * 1024 * MiB, parallel=2) == MAX_REPLICAS


def test_big_models_get_smaller_groups_and_parallel_groups_share_the_memory() -> None:
    cost = ModelCost(macs=10**9, activations=10**6, parameters=25 * 10**6)
    per_replica = cost.train_bytes(64) + 4 * cost.activations * EVAL_CHUNK
    memory = 40 * per_replica
    assert replicas_that_fit(cost, 64, memory, parallel=1) == 20  # half the memory
    assert replicas_that_fit(cost, 64, memory, parallel=4) == 5
    assert replicas_that_fit(cost, 64, per_replica, parallel=1) == 1  # never zero


def test_a_phase_of_a_tiny_study_gets_one_thread_and_full_groups(digits) -> None:
    study = load_study(
        {"name": "r", "dataset": {"name": "digits"}, "optimizers": [{"name": "adam"}]}
    )
    resources = plan_resources(study, expand(study), digits, parallel=1)
    assert resources.threads == 1
    assert "1 thread in each training process" in resources.thread_policy
    assert resources.max_replicas == MAX_REPLICAS


def test_groups_side_by_side_fit_the_cache_they_share() -> None:
    cost = model_cost(build_model(ModelSpec(), (28, 28), 10, seed=0), (28, 28))  # 1.6 MB
    epyc = (32 * MiB, 2)  # this project's AMD machine: 32 MiB shared by its 2 cores
    assert replicas_in_cache(cost, parallel=2, cache=epyc) == 6
    assert replicas_in_cache(cost, parallel=1, cache=epyc) == 12
    assert replicas_in_cache(cost, parallel=16, cache=(32 * MiB, 8)) == 1  # 8 share each cache
    assert replicas_in_cache(cost, parallel=2, cache=(0, 1)) == MAX_REPLICAS  # not reported
    big = ModelCost(macs=10**9, activations=10**6, parameters=25 * 10**6)
    assert replicas_in_cache(big, parallel=2, cache=epyc) == MAX_REPLICAS  # none fits anyway


def test_the_cache_as_linux_reports_it() -> None:
    assert _cache_bytes("32768K") == 32 * MiB and _cache_bytes("2M") == 2 * MiB
    assert _cache_bytes("512") == 512
    assert _cpu_count("0-1") == 2 and _cpu_count("0-3,8-11") == 8 and _cpu_count("5") == 1
    size, sharers = shared_cache()
    assert size >= 0 and sharers >= 1
