"""What the driver refuses, or notes, before any trial trains: a study too large, a device
this machine lacks, a model that cannot fit in memory or does not fit the task, and the
static findings on the study and the data."""

from __future__ import annotations

import torch

from optbench.core.errors import ConfigError
from optbench.core.specs import Finding, StudySpec, portable_reference
from optbench.data import Dataset
from optbench.diagnose import CODES, check_data, check_study_design
from optbench.models import build_model
from optbench.models.factory import check_outputs
from optbench.plan.limits import trial_count_problem


def check_size(study: StudySpec) -> None:
    problem = trial_count_problem(study)
    if problem:
        raise ConfigError(f"Invalid study: {problem}")


def check_device(device: str) -> None:
    """Fail before any work when the study asks for an accelerator this machine lacks."""
    if device.startswith("cuda"):
        index = int(device.split(":")[1]) if ":" in device else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise ConfigError(
                f"--device {device} asked for, but torch {torch.__version__} sees "
                f"{torch.cuda.device_count()} CUDA device(s). Use --device cpu, or install a "
                "CUDA build of PyTorch on a machine with a GPU."
            )
    if device == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("--device mps asked for, but Apple's MPS is not available here.")


def check_user_model(study: StudySpec, data: Dataset) -> None:
    """Your model is built and run on a few examples before any trial: a factory that raises,
    returns no module, or gives outputs that do not fit the task stops the study now."""
    if study.model.factory is None:
        return
    ref = portable_reference(study.model.factory)
    model = build_model(study.model, data.input_shape, data.num_outputs, seed=study.seeds[0])
    x = data.train.x[:2]
    try:
        with torch.no_grad():
            outputs = model(x)
    except Exception as exc:
        raise ConfigError(
            f"The model from {ref} failed on a batch of {tuple(x.shape)} ({x.dtype}) inputs: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    check_outputs(outputs, study.task, len(x), data.num_outputs, ref)


def static_findings(study: StudySpec, data: Dataset) -> list[Finding]:
    """Problems visible from the study and the data alone, before any training."""
    return [*check_study_design(study), *check_data(data), *_skipped_inputs(data.skipped)]


# Skipped files named in the finding; the rest are counted (all are in the store's meta).
SKIPPED_SHOWN = 5


def _skipped_inputs(skipped: list[str]) -> list[Finding]:
    """data.skipped_files: the reader left files out (corrupt, too large, outside the
    folder). The study is right to go on without them, but not silently."""
    if not skipped:
        return []
    info = CODES.get("data.skipped_files")
    shown = "; ".join(skipped[:SKIPPED_SHOWN])
    more = f"; and {len(skipped) - SKIPPED_SHOWN} more" if len(skipped) > SKIPPED_SHOWN else ""
    message = (
        f"{len(skipped)} input file(s) were skipped while reading the data, so the study "
        f"trains and tests on fewer examples than the folder holds: {shown}{more}."
    )
    return [Finding(code=info.code, severity=info.severity, message=message, fix=info.fix)]
