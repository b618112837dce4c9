"""Example 3 — a small character-level transformer language model on real text: the Python
standard library's own source files (present wherever Python is).

    .venv/bin/optbench compare --dataset examples/char_lm.py:load --task language_model \
        --model examples/char_lm.py:build --optimizers adamw,adam,momentum:lr=0.1 \
        --seeds 0,1 --epochs 4 --batch-size 64

Every trial learns next-character prediction on the same sequences; the report ranks the
optimizers by test perplexity (the exponential of the per-character loss; a model that has
learned nothing has perplexity equal to the vocabulary's size).
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import torch
from torch import nn

# The text: these modules of the standard library, in this order (~340 KB).
SOURCES = ("argparse.py", "textwrap.py", "difflib.py", "dataclasses.py", "inspect.py")


def load(length: int = 64, max_chars: int = 300_000, test_share: float = 0.1) -> dict:
    """Characters of the sources, cut into sequences of `length`: x the characters, y the
    next ones. The last `test_share` of the text is the test split."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    text = "".join((folder / name).read_text(encoding="utf-8") for name in SOURCES)[:max_chars]
    vocab = {c: i for i, c in enumerate(sorted(set(text)))}
    ids = np.fromiter((vocab[c] for c in text), dtype=np.int64, count=len(text))
    n = (len(ids) - 1) // length
    x = ids[: n * length].reshape(n, length)
    y = ids[1 : n * length + 1].reshape(n, length)
    cut = int(n * (1 - test_share))
    return {"x_train": x[:cut], "y_train": y[:cut], "x_test": x[cut:], "y_test": y[cut:],
            "vocab_size": len(vocab)}  # fmt: skip


class CharTransformer(nn.Module):
    """Token and position embeddings, pre-norm causal transformer blocks, a linear head."""

    def __init__(self, length: int, vocab: int, width: int, layers: int, heads: int) -> None:
        super().__init__()
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(length, width)
        block = nn.TransformerEncoderLayer(
            width, heads, 4 * width, dropout=0.1, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)
        self.register_buffer("mask", torch.triu(torch.full((length, length), -torch.inf), 1))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # [B, T] → [B, T, vocab]
        t = ids.shape[1]
        h = self.tokens(ids) + self.positions.weight[:t]
        h = self.blocks(h, mask=self.mask[:t, :t], is_causal=True)
        return self.head(self.norm(h))


def build(
    input_shape: tuple[int, ...], num_outputs: int, width: int = 64, layers: int = 2,
    heads: int = 4,
) -> nn.Module:  # fmt: skip
    (length,) = input_shape
    return CharTransformer(length, num_outputs, width, layers, heads)
