"""Numbers in findings keep their significant digits and never round to 0; the layers a
message compares are distinct (issue 19: "‖grad‖/‖weight‖ is 0 for net.1.weight but 0 for
net.1.weight"; "changes … by only 0, 0 of its size")."""

from __future__ import annotations

import math
import re

from diagnose_suite import FAULTY, run_setup
from hypothesis import given
from hypothesis import strategies as st

DEAD = next(s for s in FAULTY if s.name == "negative-bias-dying-relu")


@given(st.floats(min_value=1e-30, max_value=1e30))
def test_a_nonzero_number_never_prints_as_zero(x) -> None:
    from optbench.diagnose.numbers import sig

    for value in (x, -x):
        text = sig(value)
        assert float(text) != 0 and math.isclose(float(text), value, rel_tol=5e-3)


@given(st.floats(min_value=1e-9, max_value=1.0, exclude_max=True))
def test_a_share_above_zero_and_below_one_never_prints_as_0_or_100_percent(x) -> None:
    from optbench.diagnose.numbers import pct

    text = pct(x)
    number = float(text.rstrip("%"))
    assert 0 < number < 100 and math.isclose(number / 100, x, rel_tol=5e-2)


def test_exact_values_print_exactly() -> None:
    from optbench.diagnose.numbers import pct, sig

    assert (sig(0.0), pct(0.0), pct(1.0), sig(2.302585)) == ("0", "0%", "100%", "2.3")


def test_a_dead_network_gets_messages_that_say_something(suite_data) -> None:
    outcome = run_setup(DEAD, suite_data)
    for f in outcome.findings:
        named = re.findall(r"(\S+\.weight) but \S+ for (\S+\.weight)", f.message)
        assert all(a != b for a, b in named), f.message
        assert not re.search(r"(?<![\w.])0(?:, 0)+(?![\w.])", f.message), f.message
        assert not re.search(r"is 0 for .* but 0 for", f.message), f.message
        assert not re.search(r"by only 0\b", f.message), f.message
