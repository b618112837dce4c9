"""How many trials run side by side when the study does not say."""

import optbench
from optbench.driver.study import parallel_trials as _parallel
from optbench.engine import available_cores
from optbench.plan import expand

RAW = {"name": "p", "dataset": "digits", "optimizers": ["adam", "sgd", "rmsprop"], "epochs": 1}


def test_on_the_cpu_one_trial_per_core_at_most():
    study = optbench.parse_study(RAW)
    assert _parallel(study, expand(study)) == min(available_cores(), 3)


def test_a_gpu_is_driven_by_one_process():
    study = optbench.parse_study({**RAW, "device": "cuda"})
    assert _parallel(study, expand(study)) == 1


def test_workers_given_are_kept():
    study = optbench.parse_study({**RAW, "device": "cuda", "workers": 2})
    assert _parallel(study, expand(study)) == 2
