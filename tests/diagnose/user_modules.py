"""User-written modules of the diagnosis suite: models optbench does not build itself.

The suite swaps one of these in for the registry's model (`Setup.module`), so the monitors
are tried on code a user would write: custom autograd functions, functional activations in
forward(), convolutions, residual blocks, detached tensors.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from optbench.models.mlp import MLP


class NanAfter(nn.Module):
    """A user-written model whose outputs turn NaN after `steps` training forwards."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, steps: int = 20) -> None:
        super().__init__()
        self.body = MLP(input_shape, (64,), num_classes)
        self.steps = steps
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        if self.training:
            self.calls += 1
            if self.calls > self.steps:
                out = out * math.nan
        return out


class _InfGrad(torch.autograd.Function):
    """Identity forward, infinite gradient backward (an unstable custom op)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        return grad * math.inf


class InfGradNet(nn.Module):
    """A user-written model with a numerically broken custom op between its layers."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.first = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), 64), nn.ReLU())
        self.last = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last(_InfGrad.apply(self.first(x)))


class SmallCNN(nn.Module):
    """A user's convnet for 8×8 digits: two 3×3 convolutions with functional ReLUs (no
    nn.ReLU modules for the activation probes to see), then a linear head."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.head = nn.Linear(16 * math.prod(input_shape[-2:]) // 4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, 8, 8] → [B, classes]
        h = F.relu(self.conv1(x.unsqueeze(1)))
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # [B, 16, 4, 4]
        return self.head(h.flatten(1))


class ResidualMLP(nn.Module):
    """A user's deep residual MLP: `blocks` × (LayerNorm → Linear → GELU) added to the stream,
    deep enough that a plain stack of the same depth would be hard to train."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, blocks: int = 6) -> None:
        super().__init__()
        width = 64
        self.embed = nn.Linear(math.prod(input_shape), width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU())
            for _ in range(blocks)
        )
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x.flatten(1))
        for block in self.blocks:
            h = h + block(h)
        return self.head(h)


class LogSoftmaxMLP(nn.Module):
    """A user's classifier written for NLLLoss (ends in log_softmax), trained with
    cross-entropy: harmless, redundant (an info note, not an alarm)."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.body = MLP(input_shape, (64,), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.body(x), dim=1)


class DetachedFeatures(nn.Module):
    """A user's bug: the hidden features are detached before the head (a stray `.detach()`
    left from logging), so the hidden layer never receives a gradient. Only the head learns."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.hidden = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), 64), nn.ReLU())
        self.head = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(x).detach())


class SigmoidStack(nn.Module):
    """A user's deep stack of sigmoid layers with Glorot initialisation (no residuals, no
    normalisation): the gradient shrinks about fourfold per layer on its way back."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, depth: int = 5) -> None:
        super().__init__()
        sizes = [math.prod(input_shape), *([64] * depth)]
        layers: list[nn.Module] = [nn.Flatten()]
        for fan_in, fan_out in itertools.pairwise(sizes):
            linear = nn.Linear(fan_in, fan_out)
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)
            layers += [linear, nn.Sigmoid()]
        self.net = nn.Sequential(*layers, nn.Linear(64, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


# -- regression and language models, built by reference (`[model] factory = …`) --------------
# These are factories as a user writes them, `build(input_shape, num_outputs, **kwargs)`: the
# suite hands them to optbench as `user_modules.py:<name>`, the way a study file does.

_OUTPUT_ACTIVATIONS = {
    "linear": nn.Identity,
    "sigmoid": nn.Sigmoid,
    "relu": nn.ReLU,
    "softmax": lambda: nn.Softmax(dim=-1),
}


def mlp(
    input_shape: tuple[int, ...], num_outputs: int, width: int = 64, depth: int = 2,
    activation: str = "relu", head: str = "linear",
) -> nn.Module:  # fmt: skip
    """A user's MLP: `depth` hidden layers of `width` units, then `num_outputs` outputs through
    the `head` activation ("linear": logits for a classifier, values for a regressor)."""
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}[activation]
    sizes = [math.prod(input_shape), *([width] * depth)]
    layers: list[nn.Module] = [nn.Flatten()]
    for fan_in, fan_out in itertools.pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), act()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], num_outputs), _OUTPUT_ACTIVATIONS[head]())


class ResidualRegressor(nn.Module):
    """A user's residual regressor: LayerNorm → Linear → GELU blocks added to the stream."""

    def __init__(self, input_shape: tuple[int, ...], num_outputs: int, blocks: int = 3) -> None:
        super().__init__()
        width = 32
        self.embed = nn.Linear(math.prod(input_shape), width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU())
            for _ in range(blocks)
        )
        self.head = nn.Linear(width, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, F] → [B, outputs]
        h = self.embed(x.flatten(1))
        for block in self.blocks:
            h = h + block(h)
        return self.head(h)


def residual_regressor(input_shape: tuple[int, ...], num_outputs: int) -> nn.Module:
    return ResidualRegressor(input_shape, num_outputs)


class CharTransformer(nn.Module):
    """A user's small character-level transformer: token + position embeddings, pre-norm
    blocks, a linear head over the vocabulary.

    `causal=False` is the classic bug: the attention mask is forgotten, so position t sees the
    token at t + 1, which is its own target. `head="softmax"` is the homework's mistake in a
    language model: the logits are softmaxed before a cross-entropy that softmaxes again.
    """

    def __init__(
        self, length: int, vocab: int, width: int = 32, layers: int = 1, heads: int = 2,
        causal: bool = True, head: str = "linear",
    ) -> None:  # fmt: skip
        super().__init__()
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(length, width)
        block = nn.TransformerEncoderLayer(
            width, heads, 4 * width, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)
        self.out = _OUTPUT_ACTIVATIONS[head]()
        self.causal = causal
        self.register_buffer("mask", torch.triu(torch.full((length, length), -math.inf), 1))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # [B, T] → [B, T, vocab]
        t = ids.shape[1]
        h = self.tokens(ids) + self.positions.weight[:t]
        mask = self.mask[:t, :t] if self.causal else None
        h = self.blocks(h, mask=mask, is_causal=self.causal)
        return self.out(self.head(self.norm(h)))


def char_transformer(
    input_shape: tuple[int, ...], num_outputs: int, width: int = 32, layers: int = 1,
    causal: bool = True, head: str = "linear",
) -> nn.Module:  # fmt: skip
    (length,) = input_shape
    return CharTransformer(length, num_outputs, width, layers, causal=causal, head=head)


class ConvLM(nn.Module):
    """A user's causal convolutional language model: embeddings, then 1-D convolutions padded
    on the left only (position t sees tokens ≤ t), ReLUs, a linear head."""

    def __init__(self, vocab: int, width: int = 48, kernel: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.convs = nn.ModuleList(nn.Conv1d(width, width, kernel) for _ in range(layers))
        self.kernel = kernel
        self.head = nn.Linear(width, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # [B, T] → [B, T, vocab]
        h = self.embed(ids).transpose(1, 2)  # [B, width, T]
        for conv in self.convs:
            h = F.relu(conv(F.pad(h, (self.kernel - 1, 0))))
        return self.head(h.transpose(1, 2))


def conv_lm(input_shape: tuple[int, ...], num_outputs: int, width: int = 48) -> nn.Module:
    return ConvLM(num_outputs, width)


class GRULM(nn.Module):
    """A user's recurrent language model: embeddings → one GRU layer → linear head."""

    def __init__(self, vocab: int, width: int = 64) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.rnn = nn.GRU(width, width, batch_first=True)
        self.head = nn.Linear(width, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # [B, T] → [B, T, vocab]
        h, _ = self.rnn(self.embed(ids))
        return self.head(h)


def gru_lm(input_shape: tuple[int, ...], num_outputs: int, width: int = 64) -> nn.Module:
    return GRULM(num_outputs, width)
