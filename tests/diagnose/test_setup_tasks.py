"""The static setup checker on user-written modules of every task, before training.

Issue 18 (acceptance 2): the checker runs on the user's module and catches a softmax into
CrossEntropyLoss inside it; issue 19: regression heads that cannot reach their targets,
language models whose logits are already softmaxed or that see the tokens they predict — and
no classification-only finding on a healthy regression or language model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from suite_data import diabetes, python_text

from optbench.core.specs import ModelSpec
from optbench.diagnose import check_setup
from optbench.models import build_model

HERE = Path(__file__).resolve().parent
DIABETES = diabetes()
RAW = diabetes(scale_targets=False)
TEXT = python_text()
SERIOUS = ("warning", "error")


def user(factory: str, input_shape: tuple[int, ...], outputs: int, **kwargs) -> torch.nn.Module:
    """A model from user_modules.py built by reference, as the engine builds `[model] factory`."""
    spec = ModelSpec(
        name="factory",
        factory=f"{HERE / 'user_modules.py'}:{factory}",
        kwargs=tuple(kwargs.items()),
    )
    return build_model(spec, input_shape, outputs, seed=0)


def regression_batch(data=DIABETES) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(data["x_train"][:32]), torch.from_numpy(data["y_train"][:32])


def token_batch() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(TEXT["x_train"][:32]), torch.from_numpy(TEXT["y_train"][:32])


def codes(findings, severities=SERIOUS) -> list[str]:
    return [f.code for f in findings if f.severity in severities]


# -- classification: a user's own module, by reference ------------------------------------------


def test_a_softmax_head_inside_a_user_classifier_is_caught(digits) -> None:
    model = user("mlp", (8, 8), 10, head="softmax")
    x, y = digits.train.x[:32], digits.train.y[:32]
    found = check_setup(model, "cross_entropy", x, y, num_classes=10)
    assert "head.double_activation" in codes(found)
    assert codes(check_setup(user("mlp", (8, 8), 10), "cross_entropy", x, y, num_classes=10)) == []


# -- regression ------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_a_linear_regressor_raises_nothing(loss) -> None:
    x, y = regression_batch()
    model = user("mlp", (10,), 1)
    # Before: the classification loss registry read "mse" as MSE on classes (a label encoding
    # error and a trade-off warning), and "mae"/"huber" were unknown losses (ConfigError).
    assert check_setup(model, loss, x, y, num_classes=0, task="regression") == []


@pytest.mark.parametrize(("head", "activation"), [("sigmoid", "relu"), ("relu", "tanh")])
def test_a_head_that_cannot_reach_the_targets_is_caught(head, activation) -> None:
    x, y = regression_batch()
    model = user("mlp", (10,), 1, head=head, activation=activation)
    (found,) = check_setup(model, "mse", x, y, num_classes=0, task="regression")
    assert found.code == "head.range_mismatch" and found.severity == "error"
    assert head in found.message and "targets" in found.message


def test_a_relu_head_on_positive_targets_is_fine() -> None:
    x, y = regression_batch(RAW)  # progression scores 25-346: all positive
    model = user("mlp", (10,), 1, head="relu")
    assert "head.range_mismatch" not in codes(check_setup(model, "mse", x, y, task="regression"))


def test_a_softmax_over_regression_outputs_is_caught() -> None:
    x, y = regression_batch()
    found = check_setup(user("mlp", (10,), 1, head="softmax"), "mse", x, y, task="regression")
    assert {"head.range_mismatch", "head.constant_output"} <= set(codes(found))


# -- language models -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "kwargs"),
    [
        ("char_transformer", {}),
        ("conv_lm", {}),
        ("gru_lm", {}),
        ("char_transformer", {"layers": 2}),
    ],
)
def test_a_causal_language_model_raises_nothing(factory, kwargs) -> None:
    x, y = token_batch()
    model = user(factory, (32,), int(TEXT["vocab_size"]), **kwargs)
    # Before: logits [B, T, V] were read as T units and the [B, T] tokens as a wrong label
    # encoding (head.units_mismatch, labels.encoding).
    found = check_setup(
        model, "cross_entropy", x, y, num_classes=int(TEXT["vocab_size"]), task="language_model"
    )
    assert found == []


def test_softmaxed_logits_into_the_language_model_loss_are_caught() -> None:
    x, y = token_batch()
    vocab = int(TEXT["vocab_size"])
    model = user("char_transformer", (32,), vocab, head="softmax")
    found = check_setup(model, "cross_entropy", x, y, num_classes=vocab, task="language_model")
    (double,) = [f for f in found if f.code == "head.double_activation"]
    assert "logits" in double.fix and "categorical" not in double.fix


def test_a_language_model_that_sees_the_future_is_caught() -> None:
    x, y = token_batch()
    vocab = int(TEXT["vocab_size"])
    model = user("char_transformer", (32,), vocab, causal=False)
    (found,) = check_setup(model, "cross_entropy", x, y, num_classes=vocab, task="language_model")
    assert found.code == "model.sees_future" and found.severity == "error"
    assert "position 16" in found.message
    assert model.training  # the check ran in eval mode and put the module back
