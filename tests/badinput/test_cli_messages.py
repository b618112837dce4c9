"""Small things from issue 21: messages that read wrongly."""

from __future__ import annotations

import struct

import pytest

from optbench.core.errors import ConfigError, DataError
from optbench.data import load_idx
from optbench.plan import parse_study


def test_idx_with_trailing_bytes_reads_as_english(tmp_path) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(struct.pack(">HBB", 0, 8, 1) + struct.pack(">I", 3) + bytes(5))
    with pytest.raises(DataError) as caught:
        load_idx(path)
    assert "' has trailing bytes: its header promises a 3 array" in str(caught.value)
    assert "is has" not in str(caught.value)


def test_an_empty_choice_is_named_not_left_blank() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_study({"dataset": "digits", "optimizers": ["adam"], "tune": "learning-rate"})
    assert "`tune` must be one of '' (none), lr." in str(caught.value)
    assert "one of , lr" not in str(caught.value)


def test_max_trials_raises_the_limit() -> None:
    lrs = [float(i + 1) / 1e6 for i in range(150)]
    raw = {"dataset": "digits", "optimizers": [{"name": "sgd", "lr": lrs, "momentum": lrs}]}
    with pytest.raises(ConfigError, match="has 22,500 points, more than the study's limit"):
        parse_study(raw)
    assert parse_study({**raw, "max_trials": 22_500}).max_trials == 22_500
