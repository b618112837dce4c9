"""Heads (shared by every model), the seed's convnet, and a contract over every registered model."""

import math

import pytest
import torch
from torch import nn

from optbench.core.errors import ConfigError
from optbench.core.specs import ModelSpec
from optbench.models import HEAD_ACTIVATIONS, MODELS, build_model, cached_logits, parse_model
from optbench.models.convnet import conv_padding


@pytest.mark.parametrize("model", MODELS.names())
@pytest.mark.parametrize("activation", HEAD_ACTIVATIONS)
@pytest.mark.parametrize("units", [1, 2, None])
def test_every_model_takes_every_head(model, activation, units):
    spec = ModelSpec(model, hidden=(16,), head_units=units, head_activation=activation)
    net = build_model(spec, (1, 16, 16), 3, seed=0)
    out = net(torch.rand(5, 1, 16, 16))
    assert out.shape == (5, units or 3)
    if activation == "softmax":
        assert torch.allclose(out.sum(1), torch.ones(5))
    if activation in ("sigmoid", "softmax"):
        assert cached_logits(out) is not None and cached_logits(out).shape == out.shape
    else:
        assert cached_logits(out) is None
    if activation == "tanh":
        assert out.abs().max() < 1
    if activation == "relu":
        assert out.min() >= 0


@pytest.mark.parametrize("model", MODELS.names())
def test_every_model_is_seeded_and_fresh(model):
    spec = ModelSpec(model, hidden=(8,))
    a, b, c = (build_model(spec, (16, 16), 2, seed=s) for s in (3, 3, 4))
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters(), strict=True):
        assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_single_unit_softmax_is_constant_one_with_zero_gradient():
    net = build_model(ModelSpec(head_units=1, head_activation="softmax"), (4,), 2, seed=0)
    x = torch.randn(16, 4)
    out = net(x)
    assert torch.equal(out, torch.ones(16, 1))
    out.sum().backward()
    assert all(p.grad.abs().max() == 0 for p in net.parameters())


def test_mlp_parameter_names_unchanged_by_the_head_refactor():
    net = build_model(
        ModelSpec(hidden=(128,), head_units=2, head_activation="sigmoid"), (28, 28), 2, seed=0
    )
    assert [name for name, _ in net.named_parameters()] == [
        "net.1.weight",
        "net.1.bias",
        "net.3.weight",
        "net.3.bias",
    ]


def test_seed_convnet_on_150x150_matches_the_keras_network():
    # Keras: Conv(32)…Conv(128) valid + MaxPool(2) ×4 on 150×150 → 7×7×128 = 6272 → Dense(512).
    net = build_model(
        ModelSpec("convnet", hidden=(512,), head_units=1, head_activation="sigmoid"),
        (3, 150, 150),
        2,
        seed=0,
    )
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    dense = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert [c.out_channels for c in convs] == [32, 64, 128, 128]
    assert all(c.padding == (0, 0) and c.kernel_size == (3, 3) for c in convs)
    assert [(d.in_features, d.out_features) for d in dense] == [(6272, 512), (512, 1)]
    # Keras' parameter count of this model (conv 896+18496+73856+147584, dense 3211776+513)
    assert sum(p.numel() for p in net.parameters()) == 3_453_121


def test_convnet_pads_small_images_and_takes_grayscale_without_channel_axis():
    net = build_model(ModelSpec("convnet", hidden=(32,)), (28, 28), 10, seed=0)
    assert net(torch.rand(3, 28, 28)).shape == (3, 10)
    assert {m.padding for m in net.modules() if isinstance(m, nn.Conv2d)} == {(1, 1)}
    assert conv_padding(150, 150, 4) == 0 and conv_padding(46, 46, 4) == 0
    assert conv_padding(45, 45, 4) == 1 and conv_padding(16, 16, 4) == 1


def test_convnet_refuses_images_it_cannot_pool():
    with pytest.raises(ConfigError, match=r"at least 16×16.*mlp"):
        build_model(ModelSpec("convnet"), (8, 8), 10, seed=0)
    with pytest.raises(ConfigError, match=r"\(H, W\) or \(C, H, W\)"):
        build_model(ModelSpec("convnet"), (64,), 10, seed=0)


def test_keras_init_covers_conv_layers():
    net = build_model(ModelSpec("convnet", hidden=(16,), init="keras"), (1, 16, 16), 2, seed=0)
    conv = next(m for m in net.modules() if isinstance(m, nn.Conv2d))
    bound = math.sqrt(6 / (1 * 9 + 32 * 9))  # Glorot uniform with the receptive field
    assert torch.all(conv.bias == 0) and conv.weight.abs().max() <= bound


@pytest.mark.parametrize(
    ("text", "hidden"), [("convnet", (512,)), ("convnet:256", (256,)), ("mlp", (128,))]
)
def test_parse_model_uses_each_models_default_width(text, hidden):
    assert parse_model(text).hidden == hidden


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ModelSpec(head_activation="softmaxx"), "Did you mean 'softmax'"),
        (ModelSpec(head_units=0), "head_units"),
    ],
)
def test_bad_heads_are_config_errors(spec, message):
    with pytest.raises(ConfigError, match=message):
        build_model(spec, (4,), 2, seed=0)
