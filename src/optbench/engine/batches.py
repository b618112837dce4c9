"""In-memory batching from a seeded permutation: no DataLoader, no per-sample collation.

For a given seed every trial sees the same batch order (a paired comparison), whatever its
optimizer, because the order comes from its own generator, never from the global RNG.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch


class BatchOrder:
    """Yields index tensors for each epoch: a fresh permutation per epoch, last batch partial."""

    def __init__(self, num_examples: int, batch_size: int, seed: int) -> None:
        self.num_examples = num_examples
        self.batch_size = batch_size
        self._generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:  # batches per epoch (Keras keeps the last, partial batch too)
        return -(-self.num_examples // self.batch_size)

    def epoch(self, device: torch.device | str = "cpu") -> Iterator[torch.Tensor]:
        """This epoch's batches of indices, on `device` (where the data they index lives).
        The permutation is drawn on the CPU whatever the device: one seed, one order."""
        perm = torch.randperm(self.num_examples, generator=self._generator)
        return iter(perm.to(device).split(self.batch_size))

    def get_state(self) -> torch.Tensor:
        return self._generator.get_state()

    def set_state(self, state: torch.Tensor) -> None:
        self._generator.set_state(state)
