"""Static data checks: unscaled inputs and imbalanced labels, from the data alone; per task."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch
from hypothesis import given
from hypothesis import strategies as st

from optbench.core.specs import DatasetSpec
from optbench.data import Split, load_dataset
from optbench.diagnose import check_data, check_label_balance
from optbench.diagnose.data_check import IMBALANCE_RATIO


def test_scaled_balanced_digits_are_clean(digits) -> None:
    assert check_data(digits) == []


def test_unscaled_digits_are_flagged(tmp_path) -> None:
    raw = load_dataset(DatasetSpec("digits", scale=False), tmp_path)
    (finding,) = check_data(raw)
    assert finding.code == "data.unscaled_inputs" and finding.severity == "warning"
    assert "[0, 16]" in finding.message and finding.trial_id is None


def test_large_values_are_flagged_even_when_marked_scaled(digits) -> None:
    # A user's own tensors: the flag says scaled, the values say 0-255.
    big = replace(digits, train=Split(digits.train.x * 255, digits.train.y))
    assert [f.code for f in check_data(big)] == ["data.unscaled_inputs"]


def test_standardised_inputs_are_not_flagged(digits) -> None:
    x = digits.train.x
    z = (x - x.mean()) / x.std()
    assert check_data(replace(digits, train=Split(z, digits.train.y))) == []


def test_a_missing_class_is_flagged(digits) -> None:
    keep = digits.train.y != 3
    data = replace(digits, train=Split(digits.train.x[keep], digits.train.y[keep]))
    (finding,) = check_label_balance(data)
    assert finding.code == "data.imbalanced_labels" and "'3' 0 (∞:1)" in finding.message


@given(st.lists(st.integers(0, 500), min_size=2, max_size=10))
def test_imbalance_is_flagged_exactly_at_the_ratio(counts: list[int]) -> None:
    from optbench.data import Dataset

    y = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    data = Dataset(
        name="synthetic",
        train=Split(torch.zeros(len(y), 1), y),
        test=Split(torch.zeros(1, 1), torch.zeros(1, dtype=torch.int64)),
        num_classes=len(counts),
        class_names=[str(i) for i in range(len(counts))],
        input_shape=(1,),
        scaled=True,
        raw_range=(0.0, 1.0),
        source="test",
    )
    flagged = bool(check_label_balance(data))
    expected = sum(counts) > 0 and max(counts) >= IMBALANCE_RATIO * min(counts)
    assert flagged == expected


# -- regression and language models: the checks as their task reads the data -----------------


def _loaded(tmp_path, loader: str, task: str, **options):
    here = Path(__file__).resolve().parent
    spec = DatasetSpec(loader, loader=f"{here / 'suite_data.py'}:{loader}", options=options)
    return load_dataset(spec, tmp_path, task=task)


def _shuffled(data):
    perm = torch.randperm(len(data.train.y), generator=torch.Generator().manual_seed(0))
    return replace(data, train=Split(data.train.x, data.train.y[perm]))


def test_standardised_diabetes_is_clean(tmp_path) -> None:
    assert check_data(_loaded(tmp_path, "diabetes", "regression")) == []


def test_raw_regression_targets_are_flagged(tmp_path) -> None:
    data = _loaded(tmp_path, "diabetes", "regression", scale_targets=False)
    (found,) = check_data(data)
    assert found.code == "data.unscaled_targets" and found.severity == "warning"
    assert "[25, 346]" in found.message


def test_shuffled_regression_targets_are_unrelated_to_the_inputs(tmp_path) -> None:
    data = _shuffled(_loaded(tmp_path, "diabetes", "regression"))
    # Before: only class labels were checked, so a regression's shuffled targets got nothing.
    assert [f.code for f in check_data(data)] == ["data.labels_unrelated"]


def test_real_text_is_clean_and_token_ids_are_not_values(tmp_path) -> None:
    assert check_data(_loaded(tmp_path, "python_text", "language_model")) == []


def test_shuffled_next_tokens_are_unrelated_to_the_inputs(tmp_path) -> None:
    data = _shuffled(_loaded(tmp_path, "python_text", "language_model"))
    (found,) = check_data(data)
    assert found.code == "data.labels_unrelated" and "nats" in found.message
