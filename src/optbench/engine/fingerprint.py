"""Fingerprints of model weights: equal fingerprints prove two trials started identically."""

from __future__ import annotations

import hashlib

from torch import nn


def fingerprint(model: nn.Module) -> str:
    """SHA-256 (first 16 hex digits) over every parameter and buffer, in state_dict order."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]
