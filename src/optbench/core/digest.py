"""A trial's reproducibility digest: one short hash of everything it computed.

The digest covers each epoch's metrics (training and validation loss and accuracy, learning
rate, gradient norm, and a task's other metrics such as R² or perplexity; not its wall time)
written exactly (float.hex), and the SHA-256
fingerprint of the final weights. Two runs of a trial under one numerics configuration give
the same digest, whatever the schedule (docs/reproducibility.md); `optbench verify` retrains
trials and compares, epoch by epoch.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping

DIGEST_METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")


def trial_digest(epochs: Iterable[Mapping[str, object]], final_fingerprint: str | None) -> str:
    """16 hex digits over `epochs` (mappings with `epoch` and DIGEST_METRICS, in any order)
    and the final weights' fingerprint."""
    digest = hashlib.sha256()
    for row in sorted(epochs, key=lambda r: int(r["epoch"])):  # type: ignore[call-overload]
        values = ",".join(exact(row[m]) for m in DIGEST_METRICS)
        others = row.get("metrics") or {}  # a task's other metrics (regression, language model)
        values += "".join(f",{k}={exact(v)}" for k, v in sorted(others.items()))  # type: ignore[union-attr]
        digest.update(f"{int(row['epoch'])}:{values};".encode())  # type: ignore[call-overload]
    digest.update(f"final:{final_fingerprint}".encode())
    return digest.hexdigest()[:16]


def exact(value: object) -> str:
    """A metric as exact text. SQLite stores NaN as NULL, so None and NaN are one value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    return float(value).hex()  # type: ignore[arg-type]
