"""Engine: train one trial fairly (seeded init, seeded batch order), yielding events."""

from optbench.engine.callbacks import (
    Callback,
    KeepFinalWeights,
    NonFiniteLossGuard,
    TrialContext,
)
from optbench.engine.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from optbench.engine.env import (
    MIN_MACS_PER_THREAD,
    IdleSample,
    ThreadChoice,
    available_cores,
    available_memory,
    choose_threads,
    describe_env,
    idle_cores,
    threads_restored,
    use_threads,
)
from optbench.engine.fingerprint import fingerprint
from optbench.engine.handoff import Carried, HandedOff, Handoff
from optbench.engine.native import NativeStatus
from optbench.engine.native import status as native_status
from optbench.engine.trainer import MAX_REPLICAS, Event, TrainOptions, evaluate, train_trial

__all__ = [
    "MAX_REPLICAS",
    "MIN_MACS_PER_THREAD",
    "Callback",
    "Carried",
    "Checkpoint",
    "Event",
    "HandedOff",
    "Handoff",
    "IdleSample",
    "KeepFinalWeights",
    "NativeStatus",
    "NonFiniteLossGuard",
    "ThreadChoice",
    "TrainOptions",
    "TrialContext",
    "available_cores",
    "available_memory",
    "choose_threads",
    "describe_env",
    "evaluate",
    "fingerprint",
    "idle_cores",
    "load_checkpoint",
    "native_status",
    "save_checkpoint",
    "threads_restored",
    "train_trial",
    "use_threads",
]
