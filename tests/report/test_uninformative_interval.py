"""An accuracy interval wider than any possible value (two seeds: t = 12.7) is said to be
uninformative wherever it is printed, instead of standing there as if it meant something."""

from __future__ import annotations

from optbench.cli.render import _span
from optbench.report import format as fmt
from optbench.report.stats import paired_comparison, t_interval

# Two seeds whose differences disagree: 95% CI about [-116, 126] pp, as in issue 21.
WIDE = paired_comparison("val/acc", "adam", {0: 0.90, 1: 0.95}, "sgd", {0: 0.947, 1: 0.806})
NARROW = paired_comparison(
    "val/acc", "adam", {s: 0.90 + s / 1000 for s in range(5)}, "sgd", {s: 0.88 for s in range(5)}
)


def test_the_issue_example_is_that_wide() -> None:
    assert WIDE.diff.low < -1.0 and WIDE.diff.high > 1.0


def test_comparison_line_says_a_too_wide_interval_is_uninformative() -> None:
    line = fmt.comparison_line(WIDE)
    assert "uninformative with 2 seeds" in line and "run more seeds" in line
    assert "uninformative" not in fmt.comparison_line(NARROW)


def test_tables_mark_the_interval() -> None:
    assert fmt.interval(WIDE.diff.low, WIDE.diff.high, True).endswith("(uninformative)")
    assert "uninformative" not in fmt.interval(NARROW.diff.low, NARROW.diff.high, True)
    mean = t_interval([0.80, 0.97])  # a group's mean accuracy over two seeds: beyond 100 %
    assert _span(mean.low, mean.high, 100.0, 2).endswith("(uninformative)")
    assert "uninformative" not in _span(0.80, 0.97, 100.0, 2)
    assert "uninformative" not in fmt.interval(-3.0, 4.0)  # a loss has no such bound
