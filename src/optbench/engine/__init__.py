"""Engine: train one trial fairly (seeded init, seeded batch order), yielding events."""

from optbench.engine.callbacks import (
    Callback,
    KeepFinalWeights,
    NonFiniteLossGuard,
    TrialContext,
)
from optbench.engine.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from optbench.engine.env import (
    THREADS,
    available_cores,
    available_memory,
    describe_env,
    numerics,
    shared_cache,
    threads_restored,
    use_threads,
)
from optbench.engine.fingerprint import fingerprint
from optbench.engine.group_step import can_group, group_key
from optbench.engine.handoff import Carried, HandedOff, Handoff
from optbench.engine.memory import check_models_fit
from optbench.engine.trainer import (
    MAX_REPLICAS,
    Event,
    TrainOptions,
    evaluate,
    train_group,
    train_trial,
)
from optbench.native import NativeStatus
from optbench.native import status as native_status

__all__ = [
    "MAX_REPLICAS",
    "THREADS",
    "Callback",
    "Carried",
    "Checkpoint",
    "Event",
    "HandedOff",
    "Handoff",
    "KeepFinalWeights",
    "NativeStatus",
    "NonFiniteLossGuard",
    "TrainOptions",
    "TrialContext",
    "available_cores",
    "available_memory",
    "can_group",
    "check_models_fit",
    "describe_env",
    "evaluate",
    "fingerprint",
    "group_key",
    "load_checkpoint",
    "native_status",
    "numerics",
    "save_checkpoint",
    "shared_cache",
    "threads_restored",
    "train_group",
    "train_trial",
    "use_threads",
]
