from optbench.core.specs import DatasetSpec, ModelSpec, OptimizerSpec, TrialSpec
from optbench.engine import TrainOptions
from optbench.executors.groups import plan_groups


def _trials(optimizers, seeds, **model):
    return [
        TrialSpec(DatasetSpec("digits"), ModelSpec(**model), OptimizerSpec(o), s, 2, 32)
        for o in optimizers
        for s in seeds
    ]


def test_groups_are_per_seed_and_balanced_over_workers():
    trials = _trials([f"o{i}" for i in range(21)], [0, 1, 2])  # 63 trials, 3 seeds
    groups = plan_groups(trials, workers=2)
    assert sorted(len(g) for g in groups) == [10, 10, 10, 11, 11, 11]
    assert all(len({t.seed for t in g}) == 1 for g in groups)
    assert sorted(t.id for g in groups for t in g) == sorted(t.id for t in trials)


def test_one_seed_two_workers_and_resume_epochs_split_groups():
    trials = _trials(["adam", "sgd", "rmsprop"], [0])
    assert [len(g) for g in plan_groups(trials, workers=2)] == [2, 1]
    assert [len(g) for g in plan_groups(trials, workers=1)] == [3]
    resumed = plan_groups(trials, workers=1, resume_epochs={trials[0].id: 3})
    assert sorted(len(g) for g in resumed) == [1, 2]


def test_unstackable_trials_run_alone():
    trials = _trials(["adam", "sgd"], [0], head_units=1)
    assert plan_groups(trials, workers=1) == [[t] for t in trials]
    assert plan_groups(_trials(["adam", "sgd"], [0]), 1, options=TrainOptions(stack=False)) == [
        [t] for t in _trials(["adam", "sgd"], [0])
    ]


def test_groups_never_exceed_what_fits_the_memory():
    trials = _trials([f"o{i}" for i in range(9)], [0])
    groups = plan_groups(trials, workers=1, options=TrainOptions(max_replicas=4))
    assert [len(g) for g in groups] == [3, 3, 3]  # near-equal, none left nearly alone
    assert sorted(t.id for g in groups for t in g) == sorted(t.id for t in trials)
    sweep = _trials([f"o{i}" for i in range(21)], [0, 1, 2])
    groups = plan_groups(sweep, workers=2, options=TrainOptions(max_replicas=5))
    assert sorted(len(g) for g in groups) == [4] * 12 + [5] * 3
    assert [len(g) for g in plan_groups(trials, 1, options=TrainOptions(max_replicas=0))] == [1] * 9
