"""The plain PyTorch loop a user would write for the seed study (the baseline we compare to).

DataLoader over a TensorDataset, shuffle, default threads, nn.Sequential, one optimizer after
another (each on a fresh model), evaluation on the test set every epoch. Data comes from the
same IDX files optbench reads, decoded with numpy.

    python benchmarks/plain_torch_loop.py --epochs 10 [--device cuda]
"""

from __future__ import annotations

import argparse
import time

import torch
from seed_data import FASHION, read_idx
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# Keras defaults, as in the seed study (adam 1e-3, adagrad 1e-3, rmsprop 1e-3).
OPTIMIZERS = {
    "adam": lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=1e-3, initial_accumulator_value=0.1, eps=1e-7),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    x_train = (
        torch.tensor(read_idx(FASHION / "train-images-idx3-ubyte.gz"), dtype=torch.float32) / 255
    )
    y_train = torch.tensor(read_idx(FASHION / "train-labels-idx1-ubyte.gz"), dtype=torch.int64)
    x_test = (
        torch.tensor(read_idx(FASHION / "t10k-images-idx3-ubyte.gz"), dtype=torch.float32) / 255
    )
    y_test = torch.tensor(read_idx(FASHION / "t10k-labels-idx1-ubyte.gz"), dtype=torch.int64)
    train = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    test = DataLoader(TensorDataset(x_test, y_test), batch_size=1000)
    for name, make in OPTIMIZERS.items():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        model = model.to(device)
        optimizer, loss_fn = make(model.parameters()), nn.CrossEntropyLoss()
        for epoch in range(args.epochs):
            start = time.perf_counter()
            model.train()
            for xb, yb in train:
                xb, yb = xb.to(device), yb.to(device)
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
            model.eval()
            correct = 0
            with torch.no_grad():
                for xb, yb in test:
                    xb, yb = xb.to(device), yb.to(device)
                    correct += (model(xb).argmax(1) == yb).sum().item()
            print(
                f"{name} epoch {epoch + 1}: test acc {correct / len(y_test):.4f} "
                f"({time.perf_counter() - start:.2f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
