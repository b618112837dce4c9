"""Make the Keras 3 goldens that tests/optim/test_optim_keras3_goldens.py checks against.

Run with Keras installed in a separate environment (Keras stays out of optbench's):

    python3 -m venv .venv-keras && .venv-keras/bin/pip install tensorflow-cpu==2.21.0 keras
    .venv-keras/bin/python tests/optim/keras3/make_goldens.py

Every case trains two float64 variables (floatx float64) for STEPS steps with fixed random
gradients, through the real Keras optimizer, and records the variables after each step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

STEPS = 6
OUT = Path(__file__).with_name("goldens.json")

# (optbench spec in the keras profile, Keras class, its keyword arguments)
CASES = [
    ("sgd", "SGD", {}),
    ("sgd:lr=0.05,weight_decay=0.1", "SGD", {"learning_rate": 0.05, "weight_decay": 0.1}),
    ("momentum", "SGD", {"momentum": 0.9}),
    ("momentum:lr=0.02,momentum=0.7", "SGD", {"learning_rate": 0.02, "momentum": 0.7}),
    ("nesterov", "SGD", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", "Adagrad", {}),
    (
        "adagrad:lr=0.1,initial_accumulator_value=0.3,eps=1e-5,weight_decay=0.01",
        "Adagrad",
        {"learning_rate": 0.1, "initial_accumulator_value": 0.3, "epsilon": 1e-5,
         "weight_decay": 0.01},
    ),
    ("rmsprop", "RMSprop", {}),
    (
        "rmsprop:lr=0.01,alpha=0.8,centered=true,momentum=0.5",
        "RMSprop",
        {"learning_rate": 0.01, "rho": 0.8, "centered": True, "momentum": 0.5},
    ),
    ("rmsprop:lr=0.01,momentum=0.9", "RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("adadelta", "Adadelta", {}),
    ("adadelta:lr=1.0,rho=0.9,eps=1e-6", "Adadelta", {"learning_rate": 1.0, "rho": 0.9,
                                                      "epsilon": 1e-6}),
    ("adam", "Adam", {}),
    (
        "adam:lr=0.01,betas=0.8,0.95,eps=1e-6,amsgrad=true,weight_decay=0.01",
        "Adam",
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6,
         "amsgrad": True, "weight_decay": 0.01},
    ),
    ("adamw", "AdamW", {}),
    ("adamw:lr=0.01,weight_decay=0.1", "AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("nadam", "Nadam", {}),
    ("nadam:lr=0.01,betas=0.85,0.99", "Nadam", {"learning_rate": 0.01, "beta_1": 0.85,
                                               "beta_2": 0.99}),
    ("adamax", "Adamax", {}),
    ("adamax:lr=0.02,betas=0.8,0.9", "Adamax", {"learning_rate": 0.02, "beta_1": 0.8,
                                               "beta_2": 0.9}),
]


def run(cls: str, kwargs: dict[str, object], rng: np.random.Generator) -> dict[str, object]:
    start = [rng.normal(size=(2, 3)), rng.normal(size=(3,))]
    grads = [[rng.normal(size=w.shape) for w in start] for _ in range(STEPS)]
    variables = [keras.Variable(w, dtype="float64") for w in start]
    optimizer = getattr(keras.optimizers, cls)(**kwargs)
    after = []
    for step in grads:
        optimizer.apply([keras.ops.convert_to_tensor(g, dtype="float64") for g in step],
                        variables)
        after.append([np.asarray(v.numpy()).tolist() for v in variables])
    return {
        "start": [w.tolist() for w in start],
        "grads": [[g.tolist() for g in step] for step in grads],
        "after": after,
    }


def main() -> None:
    keras.config.set_floatx("float64")
    rng = np.random.default_rng(2026)
    cases = [{"spec": spec, "keras": [cls, kwargs], **run(cls, kwargs, rng)}
             for spec, cls, kwargs in CASES]
    meta = {"keras": keras.__version__, "backend": keras.config.backend(), "floatx": "float64",
            "steps": STEPS}
    OUT.write_text(json.dumps({"made_by": meta, "cases": cases}, indent=1) + "\n")
    print(f"{len(cases)} cases → {OUT}")


if __name__ == "__main__":
    main()
