"""Engine: train one trial fairly (seeded init, seeded batch order), yielding events."""

from optbench.engine.callbacks import (
    Callback,
    KeepFinalWeights,
    NonFiniteLossGuard,
    TrialContext,
)
from optbench.engine.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from optbench.engine.env import available_cores, choose_threads, describe_env
from optbench.engine.fingerprint import fingerprint
from optbench.engine.trainer import Event, TrainOptions, evaluate, train_trial

__all__ = [
    "Callback",
    "Checkpoint",
    "Event",
    "KeepFinalWeights",
    "NonFiniteLossGuard",
    "TrainOptions",
    "TrialContext",
    "available_cores",
    "choose_threads",
    "describe_env",
    "evaluate",
    "fingerprint",
    "load_checkpoint",
    "save_checkpoint",
    "train_trial",
]
