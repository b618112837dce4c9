"""Probe-batch activations: hooks for one forward pass only, the output head left out."""

from __future__ import annotations

import torch
from torch import nn

from optbench.diagnose.monitors.saturation import saturated_share
from optbench.diagnose.probe import probe_activations
from optbench.models.mlp import MLP


def test_hidden_layers_are_probed_and_the_head_is_not() -> None:
    model = MLP((8,), (16, 16), 2, activation="sigmoid", head_activation="sigmoid")
    model.train()
    seen = probe_activations(model, torch.randn(32, 8), (nn.Sigmoid,))
    assert sorted(seen) == ["net.2", "net.4"]  # net.6 is the sigmoid head
    assert all(out.shape == (32, 16) for _, out in seen.values())
    assert model.training  # mode restored
    assert all(not m._forward_hooks for m in model.modules())  # hooks removed


def test_saturated_share_counts_the_flat_ends() -> None:
    out = torch.tensor([[0.001, 0.5, 0.995, 0.2]])
    assert saturated_share(nn.Sigmoid(), out) == 0.5
    assert saturated_share(nn.Tanh(), torch.tensor([[-0.999, 0.0, 0.98, 1.0]])) == 0.5
