"""Every parser and reader under generated input: an optbench error or a valid result.

The full run (>= 10,000 inputs) is `python benchmarks/fuzz.py`; here each target gets a
smaller, deterministic share so the suite stays fast.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import fuzz


@pytest.mark.parametrize("target", list(fuzz.TARGETS))
def test_fuzz_target(target):
    assert fuzz.fuzz(target, examples=150) > 0
