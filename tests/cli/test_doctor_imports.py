"""`optbench doctor` says which modules a study file imports, before it imports them: an
optimizer given as `module.path:Class` runs that module's code with the user's rights."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

MODULE = '''
import torch
print("MODULE CODE RAN", flush=True)

class Lion(torch.optim.SGD):
    def __init__(self, params, lr=0.01):
        super().__init__(params, lr=lr)
'''


def test_import_paths_are_told_apart_from_registry_names() -> None:
    from optbench.plan.imports import import_paths

    raw = {
        "optimizers": [
            "adam:lr=3e-4,betas=0.9,0.99",
            "mypkg.optim:Lion:lr=1e-4",
            {"name": "other_mod:Opt", "lr": [0.1, 0.2]},
            {"name": "sgd"},
            "bad:text:with:colons",
        ]
    }
    assert import_paths(raw) == [
        ("optimizers[1]", "mypkg.optim:Lion"),
        ("optimizers[2]", "other_mod:Opt"),
    ]
    assert import_paths({"optimizers": "adam"}) == []


@pytest.mark.slow  # a fresh interpreter or a spawned worker
def test_doctor_warns_before_the_module_runs(tmp_path) -> None:
    (tmp_path / "lion_module.py").write_text(MODULE)
    study = tmp_path / "study.toml"
    study.write_text(
        'dataset = "digits"\nepochs = 1\noptimizers = ["adam", "lion_module:Lion:lr=0.1"]\n'
    )
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "optbench", "doctor", str(study)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    warning = out.index("imports module 'lion_module'")
    assert "optimizers[1] 'lion_module:Lion'" in out
    assert warning < out.index("MODULE CODE RAN")  # said before the code runs
