"""User-written code the tests hand to optbench by reference (`user_code.py:<name>`): models,
loaders and losses, good and bad. Kept in a file so every test exercises the file form, and
workers (forked, spawned) load it by path as a real study would."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

# -- models ------------------------------------------------------------------------------


def mlp(input_shape, num_outputs, width=16):
    """A plain MLP: Flatten → Linear → ReLU → Linear."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(int(np.prod(input_shape)), width), nn.ReLU(),
        nn.Linear(width, num_outputs),
    )  # fmt: skip


def dropout_mlp(input_shape, num_outputs, width=16):
    """An MLP with dropout: training draws random numbers every step."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(int(np.prod(input_shape)), width), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(width, num_outputs),
    )  # fmt: skip


def softmax_head(input_shape, num_outputs):
    """The homework's mistake inside a user model: a softmax before CrossEntropyLoss."""
    return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(input_shape)), num_outputs),
                         nn.Softmax(dim=-1))  # fmt: skip


class TinyLM(nn.Module):
    """Embedding → GRU-free mixing (a causal running mean) → linear head; dropout inside."""

    def __init__(self, vocab: int, width: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(width, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.embed(ids)
        steps = torch.arange(1, ids.shape[1] + 1, device=ids.device).view(1, -1, 1)
        h = h.cumsum(1) / steps
        return self.head(self.drop(h))


def tiny_lm(input_shape, num_outputs, width=16):
    return TinyLM(num_outputs, width)


def raises(input_shape, num_outputs):
    raise RuntimeError("no GPU found for this model")


def not_a_module(input_shape, num_outputs):
    return "a model"


def wrong_outputs(input_shape, num_outputs):
    return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(input_shape)), num_outputs + 3))


NOT_CALLABLE = 42

# -- data --------------------------------------------------------------------------------


def _blobs(n: int, seed: int, classes: int = 3, features: int = 5):
    g = np.random.default_rng(seed)
    y = g.integers(0, classes, n)
    centres = np.random.default_rng(99).normal(size=(classes, features)) * 3
    x = (centres[y] + g.normal(size=(n, features))).astype(np.float32)
    return x, y


def blobs(n_train=300, n_test=100):
    """Classification: three Gaussian blobs, as (x_train, y_train, x_test, y_test)."""
    return (*_blobs(n_train, 0), *_blobs(n_test, 1))


def blobs_dict():
    x, y = _blobs(200, 0)
    xt, yt = _blobs(60, 1)
    return {"x_train": x, "y_train": y, "x_test": xt, "y_test": yt, "classes": ["a", "b", "c"]}


class _Pairs(Dataset):
    def __init__(self, x, y):
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def blobs_datasets():
    """Classification as two map-style torch Datasets."""
    return _Pairs(*_blobs(200, 0)), _Pairs(*_blobs(60, 1))


def line(n=256):
    """Regression: y = 2·x₀ - x₁ + noise, float targets [N]."""
    g = np.random.default_rng(0)
    x = g.normal(size=(n + 64, 4)).astype(np.float32)
    y = (2 * x[:, 0] - x[:, 1] + 0.1 * g.normal(size=n + 64)).astype(np.float32)
    return x[:n], y[:n], x[n:], y[n:]


def tokens(n=96, length=12, vocab=11):
    """Language modelling: sequences counting up modulo `vocab`, x and the next tokens y."""
    start = np.random.default_rng(0).integers(0, vocab, n + 24)
    seq = (start[:, None] + np.arange(length + 1)) % vocab
    x, y = seq[:, :-1].astype(np.int64), seq[:, 1:].astype(np.int64)
    return {"x_train": x[:n], "y_train": y[:n], "x_test": x[n:], "y_test": y[n:],
            "vocab_size": vocab}  # fmt: skip


def binary_blobs():
    x, y = _blobs(200, 0, classes=2)
    xt, yt = _blobs(60, 1, classes=2)
    return x, y, xt, yt


def loader_raises():
    raise FileNotFoundError("/data/train.csv")


def returns_string():
    return "train.csv"


def wrong_lengths():
    x, y, xt, yt = blobs()
    return x, y[:-5], xt, yt


def nan_inputs():
    x, y, xt, yt = blobs()
    x[3, 1] = np.nan
    return x, y, xt, yt


def labels_outside_classes():
    d = blobs_dict()
    d["y_test"] = d["y_test"].copy()
    d["y_test"][0] = 7  # three classes named
    return d


def text_labels():
    x, y, xt, yt = blobs()
    return x, np.array(["cat"] * len(y)), xt, yt


def fractional_labels():
    x, y, xt, yt = blobs()
    return x, y + 0.5, xt, yt


def float_tokens():
    d = tokens()
    d["x_train"] = d["x_train"].astype(np.float32)
    return d


def empty_test():
    x, y, xt, yt = blobs()
    return x, y, xt[:0], yt[:0]


def shape_mismatch():
    x, y, xt, yt = blobs()
    return x, y, xt[:, :3], yt


# -- losses ------------------------------------------------------------------------------


def half_mse(outputs, targets):
    """Your own regression loss: ½ · mean squared error."""
    return 0.5 * torch.mean((outputs - targets) ** 2)
