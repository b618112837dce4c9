"""Keras 3 AdamW (keras/src/optimizers/adamw.py): Keras Adam with weight decay on by default.

    w ← w - w·wd·lr     (before the Adam step; Keras' base optimizer does this for every optimizer)
    then the KerasAdam update.

Defaults: lr=0.001, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.004 (torch: 0.01, eps=1e-8).
"""

from __future__ import annotations

from typing import Any

from optbench.optim.keras.adam import KerasAdam


class KerasAdamW(KerasAdam):
    def __init__(
        self,
        params: Any,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float = 0.004,
    ) -> None:
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, amsgrad=amsgrad, weight_decay=weight_decay
        )
