"""Number formatting shared by the report, the terminal and the exports (one style everywhere)."""

from __future__ import annotations

import math

from optbench.core.task import TASK_KINDS, Metric
from optbench.report.stats import PairedComparison

DASH = "—"


def missing(x: float | None) -> bool:
    return x is None or math.isnan(x)


def pct(x: float | None, digits: int = 2) -> str:
    """0.8672 → `86.72%`."""
    return DASH if missing(x) else f"{x * 100:.{digits}f}%"


def num(x: float | None, digits: int = 4) -> str:
    return DASH if missing(x) else f"{x:.{digits}f}"


def pm(mean: float | None, sd: float | None, percent: bool = False) -> str:
    """Mean ± standard deviation: `86.72% ± 2.09` (accuracy) or `0.4214 ± 0.0564`."""
    if missing(mean):
        return DASH
    text = pct(mean) if percent else num(mean)
    if not missing(sd):
        text += f" ± {sd * 100:.2f}" if percent else f" ± {sd:.4f}"
    return text


def interval(low: float | None, high: float | None, percent: bool = False) -> str:
    """`[84.12, 89.32]` (percent: the numbers ×100; units live in the column header).

    An accuracy interval reaching beyond ±100 % (two seeds give t = 12.7) says nothing any
    accuracy could not: it is marked `(uninformative)` rather than printed as if it meant
    something."""
    if missing(low) or missing(high):
        return DASH
    if percent:
        note = f" {UNINFORMATIVE}" if uninformative(low, high) else ""
        return f"[{low * 100:.2f}, {high * 100:.2f}]{note}"
    return f"[{low:.4f}, {high:.4f}]"


UNINFORMATIVE = "(uninformative)"


def uninformative(low: float, high: float) -> bool:
    """An accuracy interval (or difference of accuracies) wider than any possible value:
    below −100 % or above 100 %."""
    return low < -1.0 or high > 1.0


def signed(x: float, percent: bool) -> str:
    """A difference: `+0.40 pp` for accuracies, `-0.0123` for losses."""
    if missing(x):
        return DASH
    return f"{x * 100:+.2f} pp" if percent else f"{x:+.4f}"


def p_value(p: float | None) -> str:
    if missing(p):
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def effect(d: float | None) -> str:
    if missing(d):
        return DASH
    if math.isinf(d):
        return "∞" if d > 0 else "-∞"
    return f"{d:+.2f}"


def epochs(x: float) -> str:
    if missing(x):
        return DASH
    return "never" if math.isinf(x) else f"{x:g}"


def seconds(x: float) -> str:
    if missing(x):
        return DASH
    return "never" if math.isinf(x) else f"{x:.2f}"


def lr(x: float) -> str:
    return f"{x:g}"


def comparison_line(c: PairedComparison, bold: bool = False) -> str:
    """`adam vs adagrad: +0.40 pp test accuracy, 95% CI [0.10, 0.70] pp, 5 seeds — adam better`
    (`bold`: the verdict in the document's **bold** markup)."""
    percent = is_percent(c.metric)
    what = metric_name(c.metric)
    unit = " pp" if percent else ""
    verdict = f"**{c.verdict}**" if bold else c.verdict
    head = f"{c.a} vs {c.b}: {signed(c.diff.mean, percent)} {what}"
    if c.n < 2:
        return f"{head}, {c.n} seed (no interval) — {verdict}"
    ci = interval(c.diff.low, c.diff.high, percent).removesuffix(f" {UNINFORMATIVE}")
    if percent and uninformative(c.diff.low, c.diff.high):
        return (
            f"{head}, 95% CI {ci}{unit}, {c.n} seeds — {verdict} (the interval is wider than "
            f"any possible difference: uninformative with {c.n} seeds; run more seeds)"
        )
    return f"{head}, 95% CI {ci}{unit}, {c.n} seeds — {verdict}"


SPLITS = {"val": "test", "train": "train"}


def metric_name(tag: str) -> str:
    """`val/acc` → `test accuracy`; `train/r2` → `train R²`; `val/perplexity` → …"""
    split, _, name = tag.partition("/")
    metric = METRICS.get(name)
    title = metric.title if metric is not None else name
    return f"{SPLITS.get(split, split)} {title}"


def is_percent(tag: str) -> bool:
    """Shown as a percentage (accuracies), its differences in percentage points."""
    metric = METRICS.get(tag.partition("/")[2].removeprefix("val_"))
    return metric is not None and metric.percent


def value(x: float | None, tag: str) -> str:
    """One metric value in its own style: `86.72%` or `0.4214`."""
    return pct(x) if is_percent(tag) else num(x)


def _metrics() -> dict[str, Metric]:
    """Every task's metrics by name (`acc`, `r2`, `perplexity`, …; the first task's title
    where two share a name: "accuracy"), and the loss."""
    found: dict[str, Metric] = {"loss": Metric("loss", "loss", False)}
    for kind in TASK_KINDS.values():
        for m in kind.metrics:
            found.setdefault(m.name, m)
    return found


METRICS = _metrics()
METRIC_NAMES = {
    f"{split}/{name}": metric_name(f"{split}/{name}") for split in SPLITS for name in METRICS
}


def counts(by_severity: dict[str, int]) -> str:
    """`1 error, 2 warnings, 1 info`, most severe first."""
    order = {"error": 0, "warning": 1, "info": 2}
    parts = []
    for sev, n in sorted(by_severity.items(), key=lambda kv: (order.get(kv[0], 3), kv[0])):
        plural = "s" if n != 1 and sev in ("error", "warning") else ""
        parts.append(f"{n} {sev}{plural}")
    return ", ".join(parts)
