"""The small convnet of the seed's Q4 (the classic cats-vs-dogs network), then a head.

    [B, C, H, W] → 4 × (Conv2d 3×3 → act → MaxPool 2) with 32, 64, 128, 128 filters
                 → Flatten → Dense(512, act) → head (Linear(units) + activation)

Padding: on 150×150 inputs the seed's Keras layers use no padding ("valid": 150 → 148 → 74 →
72 → 36 → 34 → 17 → 15 → 7, so Flatten gives 7·7·128 = 6272 features), and so does this
model whenever the image is large enough. Four valid conv+pool stages need at least 46×46;
smaller images (Fashion-MNIST's 28×28) get "same" padding, which keeps each conv's size so
only the pools shrink it (28 → 14 → 7 → 3 → 1). The flatten size is computed from the
shapes, so any image of at least 16×16 works. Grayscale inputs may come as [B, H, W].
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from optbench.core.errors import ConfigError
from optbench.models.head import head_layers
from optbench.models.mlp import ACTIVATIONS

CHANNELS = (32, 64, 128, 128)
KERNEL = 3
POOL = 2


class ConvNet(nn.Module):
    """Conv 32-64-128-128 (3×3, max-pool 2 after each), Dense `hidden`, then the head."""

    def __init__(
        self,
        input_shape: tuple[int, ...],
        hidden: tuple[int, ...],
        num_classes: int,
        activation: str = "relu",
        head_units: int | None = None,
        head_activation: str = "linear",
        channels: tuple[int, ...] = CHANNELS,
    ) -> None:
        super().__init__()
        in_channels, height, width = image_shape(input_shape)
        padding = conv_padding(height, width, len(channels))
        blocks: list[nn.Module] = []
        for c_in, c_out in itertools.pairwise((in_channels, *channels)):
            blocks += [
                nn.Conv2d(c_in, c_out, KERNEL, padding=padding),
                ACTIVATIONS[activation](),
                nn.MaxPool2d(POOL),
            ]
        self.features = nn.Sequential(*blocks)
        out_h, out_w = (_after(s, len(channels), padding) for s in (height, width))
        sizes = [channels[-1] * out_h * out_w, *hidden]
        dense: list[nn.Module] = [nn.Flatten()]
        for fan_in, fan_out in itertools.pairwise(sizes):
            dense += [nn.Linear(fan_in, fan_out), ACTIVATIONS[activation]()]
        dense += head_layers(sizes[-1], head_units, num_classes, head_activation)
        self.classifier = nn.Sequential(*dense)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, H, W] or [B, H, W] → [B, units]
        if x.dim() == 3:
            x = x.unsqueeze(1)  # grayscale without a channel axis
        return self.classifier(self.features(x))


def image_shape(input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(channels, height, width) of an input shape (H, W) or (C, H, W)."""
    if len(input_shape) == 2:
        return (1, *input_shape)
    if len(input_shape) == 3:
        return input_shape  # type: ignore[return-value]
    raise ConfigError(
        f"The convnet needs image inputs of shape (H, W) or (C, H, W). "
        f"Received: input_shape={tuple(input_shape)}. Use model 'mlp' for other data."
    )


def conv_padding(height: int, width: int, stages: int) -> int:
    """0 ("valid", as the seed's Keras layers) when the image is large enough, else 1 ("same")."""
    if min(_after(height, stages, 0), _after(width, stages, 0)) >= 1:
        return 0
    if min(_after(height, stages, 1), _after(width, stages, 1)) >= 1:
        return 1
    need = POOL**stages
    raise ConfigError(
        f"Images of {height}×{width} are too small for the convnet's {stages} pooling stages: "
        f"it needs at least {need}×{need}. Use model 'mlp' (e.g. for the 8×8 'digits'), or "
        "images resized larger."
    )


def _after(size: int, stages: int, padding: int) -> int:
    """Spatial size after `stages` × (conv 3×3 with `padding`, max-pool 2)."""
    for _ in range(stages):
        size = (size + 2 * padding - (KERNEL - 1)) // POOL
        if size < 1:
            return 0
    return size
