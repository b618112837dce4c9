"""Statistics against hand calculations and scipy, plus properties that must always hold."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from optbench.report.stats import (
    auto_target,
    average_ranks,
    epochs_to_target,
    holm,
    median,
    paired_comparison,
    per_seed_ranks,
    performance_profile,
    t_interval,
    t_quantile,
)

values = st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=2, max_size=12)


def test_t_quantile_matches_the_table():
    assert t_quantile(4) == pytest.approx(2.776445, abs=1e-6)
    assert t_quantile(1) == pytest.approx(12.706205, abs=1e-6)
    assert t_quantile(10_000) == pytest.approx(1.960, abs=1e-3)


def test_t_interval_by_hand():
    i = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)  # sd = sqrt(2.5)
    assert (i.n, i.mean, i.sd) == (5, 3.0, pytest.approx(math.sqrt(2.5)))
    assert (i.low, i.high) == (pytest.approx(3 - half), pytest.approx(3 + half))


def test_t_interval_with_one_or_no_value_has_no_spread():
    one = t_interval([0.9])
    assert one.n == 1 and one.mean == 0.9 and math.isnan(one.sd) and not one.defined
    assert t_interval([]).n == 0 and math.isnan(t_interval([]).mean)


def test_paired_comparison_by_hand():
    a = {0: 0.90, 1: 0.88, 2: 0.91, 3: 0.89, 4: 0.92}
    b = {0: 0.89, 1: 0.875, 2: 0.90, 3: 0.885, 4: 0.91}  # differences 1, .5, 1, .5, 1 pp
    c = paired_comparison("val/acc", "adam", a, "sgd", b)
    assert c.seeds == (0, 1, 2, 3, 4)
    assert c.diff.mean == pytest.approx(0.008)
    assert c.diff.sd == pytest.approx(math.sqrt(0.0000075))
    assert c.effect == pytest.approx(0.008 / math.sqrt(0.0000075))
    assert c.p == pytest.approx(scipy_stats.ttest_rel(list(a.values()), list(b.values())).pvalue)
    assert c.winner == "adam" and c.verdict == "adam better"


def test_paired_comparison_uses_only_common_seeds():
    c = paired_comparison("val/acc", "a", {0: 0.9, 1: 0.8, 2: 0.7}, "b", {1: 0.8, 2: 0.6, 3: 0.5})
    assert c.seeds == (1, 2)


def test_interval_containing_zero_is_not_distinguishable():
    c = paired_comparison("val/acc", "a", {0: 0.9, 1: 0.8, 2: 0.85}, "b", {0: 0.8, 1: 0.9, 2: 0.84})
    assert c.diff.contains(0.0)
    assert c.winner is None and c.verdict == "not distinguishable with 3 seeds"


def test_one_seed_cannot_decide():
    c = paired_comparison("val/acc", "adagrad", {0: 0.965}, "adam", {0: 0.95})
    assert c.n == 1 and c.winner is None
    assert c.verdict == "not distinguishable with 1 seed: one seed cannot decide"
    assert paired_comparison("val/acc", "a", {0: 1.0}, "b", {1: 1.0}).verdict.startswith("no seed")


def test_lower_is_better_for_losses():
    c = paired_comparison(
        "val/loss",
        "a",
        {0: 0.3, 1: 0.31, 2: 0.29},
        "b",
        {0: 0.5, 1: 0.52, 2: 0.5},
        higher_is_better=False,
    )
    assert c.diff.mean < 0 and c.winner == "a"


def test_identical_differences_give_a_point_interval():
    same = paired_comparison("val/acc", "a", {0: 0.5, 1: 0.6}, "b", {0: 0.5, 1: 0.6})
    assert same.winner is None and same.p == 1.0
    shifted = paired_comparison("val/acc", "a", {0: 0.6, 1: 0.7}, "b", {0: 0.5, 1: 0.6})
    assert shifted.winner == "a" and shifted.diff.low == shifted.diff.high


def test_holm_by_hand():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]
    adjusted = holm([math.nan, 0.02, 0.5])
    assert math.isnan(adjusted[0]) and adjusted[1:] == pytest.approx([0.04, 0.5])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=10))
def test_holm_never_lowers_p_and_keeps_order(ps):
    adjusted = holm(ps)
    assert all(a >= p - 1e-12 and a <= 1.0 for a, p in zip(adjusted, ps, strict=True))
    order = sorted(range(len(ps)), key=ps.__getitem__)
    assert all(adjusted[i] <= adjusted[j] + 1e-12 for i, j in itertools.pairwise(order))


@settings(max_examples=60, deadline=None)
@given(values)
def test_interval_contains_its_mean(xs):
    i = t_interval(xs)
    assert i.low <= i.mean + 1e-12 and i.mean <= i.high + 1e-12


@settings(max_examples=60, deadline=None)
@given(values, values)
def test_swapping_the_pair_mirrors_the_result(xs, ys):
    a, b = dict(enumerate(xs)), dict(enumerate(ys))
    ab, ba = paired_comparison("m", "a", a, "b", b), paired_comparison("m", "b", b, "a", a)
    assert ab.diff.mean == pytest.approx(-ba.diff.mean, abs=1e-12)
    assert ab.winner == ba.winner or (ab.winner is None) == (ba.winner is None)


def test_per_seed_ranks_share_ties():
    mean, wins, seeds = per_seed_ranks(
        {"a": {0: 0.9, 1: 0.8}, "b": {0: 0.9, 1: 0.7}, "c": {0: 0.5, 1: 0.9, 2: 1.0}}
    )
    assert seeds == 2
    assert mean == {"a": pytest.approx(1.75), "b": pytest.approx(2.25), "c": pytest.approx(2.0)}
    assert wins == {"a": 1, "b": 1, "c": 1}


@given(st.lists(st.sampled_from([0.1, 0.5, 0.5, 0.9, 2.0, -1.0]), max_size=9))
def test_average_ranks_are_scipys(scores):
    assert average_ranks(scores) == list(scipy_stats.rankdata(scores, method="average"))


def test_a_one_seed_report_does_not_import_scipy_stats():
    """Ranks need no scipy: a one-seed study's report saves its ~0.5 s import."""
    import subprocess
    import sys

    code = (
        "import sys; from optbench.report.stats import per_seed_ranks;"
        "per_seed_ranks({'a': {0: 0.9}, 'b': {0: 0.8}});"
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_time_to_target():
    assert epochs_to_target([0.5, 0.8, 0.9, 0.95], 0.9) == 3
    assert epochs_to_target([0.5, 0.8], 0.9) is None
    assert auto_target([0.8834, float("nan"), 0.5]) == pytest.approx(0.87)
    assert auto_target([]) is None
    assert median([3.0, math.inf, math.inf]) == math.inf and median([2.0, 4.0, math.inf]) == 4.0


def test_performance_profile_by_hand():
    costs = {
        "mnist": {"adam": 2.0, "sgd": 4.0},
        "fashion": {"adam": 6.0, "sgd": 3.0},
        "digits": {"adam": math.inf, "sgd": 5.0},
    }
    profile = performance_profile(costs, [1.0, 2.0, 4.0])
    assert list(profile) == ["adam", "sgd"]
    assert profile["adam"] == pytest.approx([1 / 3, 2 / 3, 2 / 3])
    assert profile["sgd"] == pytest.approx([2 / 3, 1.0, 1.0])
