import math

import pytest
import torch
from torch import nn

from optbench.core.errors import ConfigError
from optbench.core.specs import ModelSpec
from optbench.models import build_model, parse_model


def test_seed_model_shape_and_logits():
    model = build_model(ModelSpec(hidden=(128,)), (28, 28), 10, seed=0)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 128), (128, 10)]
    out = model(torch.rand(5, 28, 28))
    assert out.shape == (5, 10)
    assert not torch.allclose(out.softmax(1).sum(1), out.sum(1))  # logits, not probabilities


def test_same_seed_same_weights_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = build_model(ModelSpec(), (8, 8), 10, seed=7)
    after = torch.rand(3)
    b = build_model(ModelSpec(), (8, 8), 10, seed=7)
    c = build_model(ModelSpec(), (8, 8), 10, seed=8)
    assert torch.equal(before, after)  # building a model does not consume the global RNG
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb)
        assert not torch.equal(pa, pc)


def test_keras_init_is_glorot_uniform_with_zero_bias():
    model = build_model(ModelSpec(hidden=(128,), init="keras"), (28, 28), 10, seed=0)
    first = model.net[1]
    bound = math.sqrt(6 / (784 + 128))
    assert torch.all(first.bias == 0)
    assert first.weight.abs().max() <= bound
    assert first.weight.abs().max() > 0.95 * bound  # uses the whole Glorot range
    torch_init = build_model(ModelSpec(hidden=(128,), init="torch"), (28, 28), 10, seed=0)
    assert torch_init.net[1].bias.abs().sum() > 0  # PyTorch's default bias is not zero


@pytest.mark.parametrize(
    ("text", "hidden", "activation"),
    [
        ("mlp", (128,), "relu"),
        ("mlp:128", (128,), "relu"),
        ("mlp:256,128", (256, 128), "relu"),
        ("mlp:64,activation=tanh", (64,), "tanh"),
    ],
)
def test_parse_model(text, hidden, activation):
    spec = parse_model(text)
    assert (spec.hidden, spec.activation) == (hidden, activation)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mlpp:128", "Did you mean 'mlp'"),
        ("mlp:abc", "neither a hidden size"),
        ("mlp:0", "neither a hidden size"),
        ("mlp:64,activation=rellu", "Did you mean 'relu'"),
    ],
)
def test_parse_model_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_model(text)
