"""Monitors keep plain data between epochs: they are saved inside checkpoints and read back
with torch's weights_only unpickler (no tensors, lambdas, files or model references)."""

from __future__ import annotations

import inspect
from dataclasses import fields, is_dataclass

from diagnose_suite import FAULTY, HEALTHY, run_setup

import optbench.diagnose as diagnose
from optbench.core.specs import EpochRecord, Finding
from optbench.engine import Callback

PLAIN = (str, int, float, bool, type(None))


def _plain(value: object, path: str) -> None:
    if isinstance(value, PLAIN):
        return
    if isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            _plain(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _plain(key, f"{path}.key")
            _plain(item, f"{path}[{key!r}]")
        return
    if isinstance(value, Finding | EpochRecord) and is_dataclass(value):
        for field in fields(value):
            _plain(getattr(value, field.name), f"{path}.{field.name}")
        return
    if isinstance(value, Callback) and type(value).__module__.startswith("optbench.diagnose"):
        return  # another monitor (the shared History): checked on its own
    raise AssertionError(f"{path} is {type(value).__name__}, not plain data")


def test_every_monitor_holds_plain_data_at_epoch_end(suite_data) -> None:
    # A classifier, a blow-up, a regression and a language model (whose chance levels are
    # measured from the probe batch: kept as numbers).
    names = ("sgd-lr10-diverges", "regression-shuffled-targets", "lm-user-conv-adam")
    for setup in (HEALTHY[0], *(s for s in FAULTY + HEALTHY if s.name in names)):
        outcome = run_setup(setup, suite_data)
        for monitor in outcome.extra["monitors"]:
            for name, value in vars(monitor).items():
                _plain(value, f"{type(monitor).__name__}.{name}")


def test_every_monitor_class_is_defined_at_module_level_in_optbench_diagnose() -> None:
    for monitor in diagnose.build_monitors():
        cls = type(monitor)
        assert cls.__module__.startswith("optbench.diagnose")
        assert "<locals>" not in cls.__qualname__
        assert inspect.getattr_static(diagnose, cls.__name__, None) is cls
