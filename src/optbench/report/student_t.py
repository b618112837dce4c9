"""Student's t distribution in plain Python: its survival function and quantiles.

Intervals and paired tests over seeds need only these two numbers, and importing scipy.stats
for them took ~0.85 s, longer than all the rest of `optbench show`. The survival function is
the regularized incomplete beta function,

    P(T > t) = ½ · I_x(ν/2, ½),   x = ν / (ν + t²),   t ≥ 0,

evaluated by its continued fraction (modified Lentz, as in Numerical Recipes §6.4), and the
quantile solves P(T > t) = p by Newton steps kept inside a shrinking bracket. Both agree with
scipy.stats.t to ~1e-12 relative for ν ≤ 1,000 (tests/report/test_student_t.py); beyond,
the log-gamma differences lose digits (~1e-9 at ν = 10⁶), far more seeds than a study runs.
"""

from __future__ import annotations

import math

_TINY = 1e-300
_EPS = 1e-15
_MAX_TERMS = 10_000


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom."""
    if math.isnan(t) or df <= 0:
        return math.nan
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    # x = ν/(ν+t²) and 1 - x = t²/(ν+t²), each computed directly: near t = 0 the second would
    # lose every digit as 1 - x.
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t), t * t / (df + t * t))
    return tail if t >= 0 else 1.0 - tail


def t_pdf(t: float, df: float) -> float:
    """The density of Student's t at `t`."""
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def t_isf(p: float, df: float) -> float:
    """The t with P(T > t) = p, for 0 < p ≤ ½ (the upper critical value)."""
    if not 0.0 < p <= 0.5 or df <= 0:
        raise ValueError(f"t_isf needs 0 < p <= 0.5 and df > 0. Received: p={p}, df={df}")
    if p == 0.5:
        return 0.0
    low, high = 0.0, 1.0
    while t_sf(high, df) > p:  # P(T > t) falls as t grows: widen until it brackets p
        low, high = high, high * 2.0
    t = (low + high) / 2.0
    for _ in range(200):
        excess = t_sf(t, df) - p  # > 0: t is too small
        if excess == 0.0:
            return t
        low, high = (t, high) if excess > 0 else (low, t)
        step = t + excess / t_pdf(t, df)  # Newton on P(T > t) - p
        if abs(step - t) <= 1e-15 * t:
            return step
        t = step if low < step < high else (low + high) / 2.0
    return t


def _betainc(a: float, b: float, x: float, y: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0, 0 ≤ x ≤ 1, y = 1 - x."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    log_front = a * math.log(x) + b * math.log(y) - log_beta
    if x < (a + 1.0) / (a + b + 2.0):  # the continued fraction converges fast here
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    # I_x(a, b) = 1 - I_y(b, a)
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _MAX_TERMS):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),  # the even term
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),  # the odd term
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < _EPS:
            return result
    return result
