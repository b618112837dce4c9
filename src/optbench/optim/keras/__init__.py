"""Keras 3 optimizers as torch.optim.Optimizer subclasses: Keras' defaults and update rules.

Each class mirrors one `keras.optimizers.*` update step (keras/src/optimizers/<name>.py), with
torch.optim hyperparameter names (`lr`, `betas`, `eps`; Keras' RMSprop `rho` is `alpha`).
"""

from optbench.optim.keras.adadelta import KerasAdadelta
from optbench.optim.keras.adagrad import KerasAdagrad
from optbench.optim.keras.adam import KerasAdam
from optbench.optim.keras.adamax import KerasAdamax
from optbench.optim.keras.adamw import KerasAdamW
from optbench.optim.keras.base import KerasOptimizer
from optbench.optim.keras.nadam import KerasNadam
from optbench.optim.keras.rmsprop import KerasRMSprop
from optbench.optim.keras.sgd import KerasSGD

__all__ = [
    "KerasAdadelta",
    "KerasAdagrad",
    "KerasAdam",
    "KerasAdamW",
    "KerasAdamax",
    "KerasNadam",
    "KerasOptimizer",
    "KerasRMSprop",
    "KerasSGD",
]
