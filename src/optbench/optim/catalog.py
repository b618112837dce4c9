"""The built-in optimizers: OPTIMIZERS, one OptimizerInfo per lowercase registry key.

`torch` profile entries are torch.optim classes with torch's own defaults (a test checks them
against the constructor signatures), some of them subclasses that step on a faster kernel with
torch's state (RMSprop, Adadelta, NAdam, Adamax). `keras` profile entries are our Keras 3 ports
(optim/keras/) with Keras' defaults; Keras' `weight_decay=None` is written 0.0 (the same
update). LARS is ours and identical in both profiles.
"""

from __future__ import annotations

import torch

from optbench.core.registry import Registry
from optbench.optim import keras
from optbench.optim.adadelta import Adadelta
from optbench.optim.adamax import Adamax
from optbench.optim.info import OptimizerInfo
from optbench.optim.lars import LARS
from optbench.optim.nadam import NAdam
from optbench.optim.rmsprop import RMSprop

OPTIMIZERS: Registry[OptimizerInfo] = Registry("optimizer")

_SGD_TORCH = {
    "lr": 0.001,
    "momentum": 0.0,
    "dampening": 0.0,
    "weight_decay": 0.0,
    "nesterov": False,
}
_ADAM_TORCH = {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
_LARS = {"lr": 1.0, "momentum": 0.9, "weight_decay": 0.0, "trust_coefficient": 0.001, "eps": 1e-8}

_SGD_RULE = (
    "g ← g + wd·w;  b ← μ·b + (1-τ)·g (b₁ = g);  w ← w - lr·b  "
    "(nesterov: w ← w - lr·(g + μ·b); μ = 0: w ← w - lr·g)"
)
_SGD_KERAS_RULE = (
    "w ← w - w·wd·lr;  m ← μ·m - lr·g;  w ← w + m  "
    "(nesterov: w ← w + μ·m - lr·g; μ = 0: w ← w - lr·g)"
)
_ADAM_RULE = (
    "m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²;  w ← w - lr·(m/(1-β₁ᵗ)) / (√(v/(1-β₂ᵗ)) + ε)"
)
_ADAM_KERAS_RULE = (
    "w ← w - w·wd·lr;  m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²;  "
    "w ← w - lr·√(1-β₂ᵗ)/(1-β₁ᵗ)·m / (√v + ε)"
)


def _add(info: OptimizerInfo) -> None:
    OPTIMIZERS.register(info.name, info)


_add(
    OptimizerInfo(
        name="sgd",
        description="Plain stochastic gradient descent.",
        reference="Robbins & Monro 1951, A Stochastic Approximation Method",
        formula="g ← g + wd·w;  w ← w - lr·g",
        keras_formula="w ← w - w·wd·lr;  w ← w - lr·g",
        torch_defaults=dict(_SGD_TORCH),
        torch_class=torch.optim.SGD,
        keras_class=keras.KerasSGD,
        tags=("first-order",),
    )
)
_add(
    OptimizerInfo(
        name="momentum",
        description="SGD with heavy-ball momentum 0.9.",
        reference="Polyak 1964, Some methods of speeding up the convergence of iteration methods",
        formula=_SGD_RULE,
        keras_formula=_SGD_KERAS_RULE,
        torch_defaults={**_SGD_TORCH, "momentum": 0.9},
        keras_presets={"momentum": 0.9},
        torch_class=torch.optim.SGD,
        keras_class=keras.KerasSGD,
        tags=("first-order", "momentum"),
    )
)
_add(
    OptimizerInfo(
        name="nesterov",
        description="SGD with Nesterov momentum 0.9.",
        reference=(
            "Nesterov 1983; Sutskever, Martens, Dahl & Hinton 2013, On the importance of "
            "initialization and momentum in deep learning"
        ),
        formula=_SGD_RULE,
        keras_formula=_SGD_KERAS_RULE,
        torch_defaults={**_SGD_TORCH, "momentum": 0.9, "nesterov": True},
        keras_presets={"momentum": 0.9, "nesterov": True},
        torch_class=torch.optim.SGD,
        keras_class=keras.KerasSGD,
        tags=("first-order", "momentum"),
    )
)
_add(
    OptimizerInfo(
        name="adagrad",
        description="Per-coordinate step sizes from the sum of all squared gradients.",
        reference=(
            "Duchi, Hazan & Singer 2011, Adaptive Subgradient Methods for Online Learning "
            "and Stochastic Optimization (JMLR)"
        ),
        formula="g ← g + wd·w;  s ← s + g²;  w ← w - lr/(1+(t-1)·lr_decay)·g / (√s + ε)",
        keras_formula="w ← w - w·wd·lr;  s ← s + g² (s₀ = 0.1);  w ← w - lr·g / √(s + ε)",
        torch_defaults={
            "lr": 0.01,
            "lr_decay": 0.0,
            "weight_decay": 0.0,
            "initial_accumulator_value": 0.0,
            "eps": 1e-10,
        },
        torch_class=torch.optim.Adagrad,
        keras_class=keras.KerasAdagrad,
        tags=("adaptive",),
    )
)
_add(
    OptimizerInfo(
        name="rmsprop",
        description="Divide the gradient by a running root-mean-square of recent gradients.",
        reference="Hinton, Srivastava & Swersky 2012, Neural Networks for ML, lecture 6e",
        formula=(
            "g ← g + wd·w;  v ← α·v + (1-α)·g²;  w ← w - lr·g / (√v + ε)  "
            "(centered: √(v - ḡ²); momentum: b ← μ·b + g/(√v + ε), w ← w - lr·b)"
        ),
        keras_formula=(
            "w ← w - w·wd·lr;  v ← α·v + (1-α)·g²;  w ← w - lr·g / √(v + ε)  "
            "(centered: √(v - ḡ² + ε); momentum: b ← μ·b + lr·g/√(v + ε), w ← w - b)"
        ),
        torch_defaults={
            "lr": 0.01,
            "alpha": 0.99,
            "eps": 1e-8,
            "weight_decay": 0.0,
            "momentum": 0.0,
            "centered": False,
        },
        torch_class=RMSprop,  # torch.optim.RMSprop, on a fused kernel (optim/rmsprop.py)
        keras_class=keras.KerasRMSprop,
        tags=("adaptive",),
    )
)
_add(
    OptimizerInfo(
        name="adadelta",
        description="RMSprop whose step is rescaled by a running RMS of past updates.",
        reference="Zeiler 2012, ADADELTA: An Adaptive Learning Rate Method (arXiv:1212.5701)",
        formula=(
            "g ← g + wd·w;  v ← ρ·v + (1-ρ)·g²;  Δ = √(u + ε)/√(v + ε)·g;  "
            "u ← ρ·u + (1-ρ)·Δ²;  w ← w - lr·Δ"
        ),
        keras_formula=(
            "w ← w - w·wd·lr;  v ← ρ·v + (1-ρ)·g²;  Δ = √(u + ε)/√(v + ε)·g;  "
            "u ← ρ·u + (1-ρ)·Δ²;  w ← w - lr·Δ"
        ),
        torch_defaults={"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
        torch_class=Adadelta,  # torch.optim.Adadelta, on a native kernel (optim/adadelta.py)
        keras_class=keras.KerasAdadelta,
        tags=("adaptive",),
    )
)
_add(
    OptimizerInfo(
        name="adam",
        description="Momentum on the gradient and on its square, both bias-corrected.",
        reference="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization (arXiv:1412.6980)",
        formula="g ← g + wd·w;  " + _ADAM_RULE + "  (amsgrad: v ← max over steps)",
        keras_formula=_ADAM_KERAS_RULE + "  (amsgrad: v ← max over steps)",
        torch_defaults={**_ADAM_TORCH, "amsgrad": False},
        torch_class=torch.optim.Adam,
        keras_class=keras.KerasAdam,
        tags=("adaptive", "momentum"),
    )
)
_add(
    OptimizerInfo(
        name="adamw",
        description="Adam with decoupled weight decay (decay the weights, not the gradient).",
        reference=(
            "Loshchilov & Hutter 2019, Decoupled Weight Decay Regularization (arXiv:1711.05101)"
        ),
        formula="w ← w - lr·wd·w;  " + _ADAM_RULE,
        keras_formula=_ADAM_KERAS_RULE,
        torch_defaults={**_ADAM_TORCH, "weight_decay": 0.01, "amsgrad": False},
        torch_class=torch.optim.AdamW,
        keras_class=keras.KerasAdamW,
        tags=("adaptive", "momentum", "decoupled-weight-decay"),
    )
)
_add(
    OptimizerInfo(
        name="nadam",
        description="Adam with Nesterov momentum and a warm-up schedule on β₁.",
        reference="Dozat 2016, Incorporating Nesterov Momentum into Adam (ICLR workshop)",
        formula=(
            "μ_t = β₁·(1 - ½·0.96^(ψ·t)), Π_t = μ₁⋯μ_t;  m, v as Adam;  "
            "w ← w - lr·(μ_{t+1}·m/(1-Π_{t+1}) + (1-μ_t)·g/(1-Π_t)) / (√(v/(1-β₂ᵗ)) + ε)"
        ),
        keras_formula=(
            "μ_t = β₁·(1 - ½·0.96ᵗ), Π_t = μ₁⋯μ_t;  m, v as Adam;  "
            "w ← w - lr·(μ_{t+1}·m/(1-Π_{t+1}) + (1-μ_t)·g/(1-Π_t)) / (√(v/(1-β₂ᵗ)) + ε)"
        ),
        torch_defaults={
            "lr": 0.002,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "momentum_decay": 0.004,
        },
        torch_class=NAdam,  # torch.optim.NAdam, on a native kernel (optim/nadam.py)
        keras_class=keras.KerasNadam,
        tags=("adaptive", "momentum"),
    )
)
_add(
    OptimizerInfo(
        name="adamax",
        description="Adam with the infinity norm in place of the root-mean-square.",
        reference="Kingma & Ba 2015, Adam (arXiv:1412.6980), section 7.1",
        formula="g ← g + wd·w;  m ← β₁·m + (1-β₁)·g;  u ← max(β₂·u, |g| + ε);  "
        "w ← w - lr·m / ((1-β₁ᵗ)·u)",
        keras_formula="w ← w - w·wd·lr;  m ← β₁·m + (1-β₁)·g;  u ← max(β₂·u, |g|);  "
        "w ← w - lr·m / ((1-β₁ᵗ)·(u + ε))",
        torch_defaults={"lr": 0.002, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
        torch_class=Adamax,  # torch.optim.Adamax, on a native kernel (optim/adamax.py)
        keras_class=keras.KerasAdamax,
        tags=("adaptive", "momentum"),
    )
)
_add(
    OptimizerInfo(
        name="lars",
        description="Momentum SGD with a per-layer trust ratio (large-batch training).",
        reference=(
            "You, Gitman & Ginsburg 2017, Large Batch Training of Convolutional Networks "
            "(arXiv:1708.03888)"
        ),
        formula=(
            "λ = η·‖w‖/(‖g‖ + wd·‖w‖ + ε);  v ← μ·v + lr·λ·(g + wd·w);  w ← w - v  "
            "(tensors with ndim ≤ 1: λ = 1, no decay)"
        ),
        keras_formula=(
            "λ = η·‖w‖/(‖g‖ + wd·‖w‖ + ε);  v ← μ·v + lr·λ·(g + wd·w);  w ← w - v  "
            "(tensors with ndim ≤ 1: λ = 1, no decay)"
        ),
        torch_defaults=dict(_LARS),
        torch_class=LARS,
        keras_class=LARS,
        tags=("first-order", "momentum", "layer-wise"),
    )
)
