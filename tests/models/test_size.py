"""Counting a model's parameters on the meta device gives the count of the real model."""

from __future__ import annotations

import pytest

from optbench.models import MODELS, build_model, parameter_count, parse_model

SHAPES = {"mlp": (8, 8), "convnet": (3, 32, 32)}


@pytest.mark.parametrize("name", MODELS.names())
def test_meta_count_matches_the_built_model(name: str) -> None:
    spec = parse_model(name)
    shape = SHAPES.get(name, (3, 32, 32))
    built = build_model(spec, shape, 10, seed=0)
    assert parameter_count(spec, shape, 10) == sum(p.numel() for p in built.parameters())


def test_a_huge_model_is_counted_without_allocating_it() -> None:
    spec = parse_model("mlp:100000000,100000000")  # 10^16 parameters: no memory holds it
    assert parameter_count(spec, (8, 8), 10) > 10**16
