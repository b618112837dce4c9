"""Histograms computed by the trainer are exactly what add_histogram would have written."""

from __future__ import annotations

import numpy as np
import pytest
from torch.utils.tensorboard.summary import histogram as summary_histogram

from optbench.store.tensorboard import HISTOGRAM_BUCKETS, histogram


def test_same_proto_as_add_histogram() -> None:
    values = np.random.default_rng(0).normal(size=(128, 64)).astype(np.float32)
    expected = summary_histogram("w", values, HISTOGRAM_BUCKETS).value[0].histo
    assert histogram(values) == expected
    assert expected.num == values.size and len(expected.bucket) <= HISTOGRAM_BUCKETS + 1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_have_no_histogram(bad: float) -> None:
    values = np.ones(10, dtype=np.float32)
    values[3] = bad
    assert histogram(values) is None
