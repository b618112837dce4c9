"""Optimizer text: examples, hypothesis round trips, and grid expansion."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optbench.core.specs import OptimizerSpec
from optbench.optim import (
    OPTIMIZERS,
    expand_optimizer_grid,
    format_optimizer,
    parse_optimizer,
    split_optimizer_list,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("adam", OptimizerSpec("adam", {})),
        ("Adam", OptimizerSpec("adam", {})),
        (" adam : lr = 3e-4 ", OptimizerSpec("adam", {"lr": 3e-4})),
        ("adam:lr=3e-4,betas=0.9,0.99", OptimizerSpec("adam", {"lr": 3e-4, "betas": (0.9, 0.99)})),
        (
            "sgd:momentum=0.9,nesterov=true",
            OptimizerSpec("sgd", {"momentum": 0.9, "nesterov": True}),
        ),
        ("mypkg.optim:Lion", OptimizerSpec("mypkg.optim:Lion", {})),
        ("mypkg.optim:Lion:lr=1e-4", OptimizerSpec("mypkg.optim:Lion", {"lr": 1e-4})),
        (
            "mod:Cls:k=3,mode=fast,x=none",
            OptimizerSpec("mod:Cls", {"k": 3, "mode": "fast", "x": None}),
        ),
    ],
)
def test_parse_examples(text, expected):
    assert parse_optimizer(text) == expected


def test_profile_is_carried():
    assert parse_optimizer("adam", profile="keras").profile == "keras"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("adam:lr=3e-4,betas=0.9,0.99,sgd", ["adam:lr=3e-4,betas=0.9,0.99", "sgd"]),
        ("sgd, adam ,rmsprop", ["sgd", "adam", "rmsprop"]),
        ("adam:lr=1,mypkg:Lion:lr=2,sgd", ["adam:lr=1", "mypkg:Lion:lr=2", "sgd"]),
        ("mypkg:Lion,nadam:betas=0.5,0.9", ["mypkg:Lion", "nadam:betas=0.5,0.9"]),
        ("rmsprop:centered=true,momentum=0.5", ["rmsprop:centered=true,momentum=0.5"]),
        ("", []),
        ("adam,,sgd", ["adam", "sgd"]),
    ],
)
def test_split_examples(text, expected):
    assert split_optimizer_list(text) == expected


# ---- property tests ------------------------------------------------------------------------

_floats = st.floats(allow_nan=False, allow_infinity=False)
_scalars = st.one_of(
    _floats,
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True).filter(
        lambda s: s not in {"true", "false", "none", "nan", "inf", "infinity"}
    ),
)
_values = st.one_of(_scalars, st.tuples(_floats, _floats), st.tuples(_floats, _floats, _floats))
_keys = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
_names = st.one_of(
    st.sampled_from(OPTIMIZERS.names()),
    st.from_regex(r"[a-z]{1,5}(\.[a-z]{1,5}){0,2}:[A-Z][A-Za-z]{0,6}", fullmatch=True),
)
_specs = st.builds(
    OptimizerSpec,
    name=_names,
    hparams=st.dictionaries(_keys, _values, max_size=4),
    profile=st.sampled_from(["torch", "keras"]),
)


def _same(a: object, b: object) -> bool:
    """Equal, with -0.0 == 0.0 and int/float kept apart (1 and 1.0 are different texts)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and a == b


@settings(deadline=None)
@given(_specs)
def test_format_then_parse_is_identity(spec):
    back = parse_optimizer(format_optimizer(spec), spec.profile)
    assert back.name == spec.name and back.profile == spec.profile
    assert back.hparams.keys() == spec.hparams.keys()
    assert all(_same(back.hparams[k], v) for k, v in spec.hparams.items())


@settings(deadline=None)
@given(st.lists(_specs, max_size=5))
def test_split_undoes_joining(specs):
    texts = [format_optimizer(s) for s in specs]
    assert split_optimizer_list(",".join(texts)) == texts


@settings(deadline=None)
@given(st.lists(_specs, min_size=1, max_size=5))
def test_split_then_parse_recovers_every_spec(specs):
    parsed = [
        parse_optimizer(t) for t in split_optimizer_list(",".join(map(format_optimizer, specs)))
    ]
    assert [p.name for p in parsed] == [s.name for s in specs]


# ---- grid expansion ------------------------------------------------------------------------


def test_grid_is_a_cartesian_product_in_given_order():
    spec = OptimizerSpec("adam", {"lr": [1e-3, 1e-2], "weight_decay": [0.0, 0.1, 0.2], "eps": 1e-6})
    grid = expand_optimizer_grid(spec)
    assert len(grid) == 6
    assert grid[0] == OptimizerSpec("adam", {"lr": 1e-3, "weight_decay": 0.0, "eps": 1e-6})
    assert grid[-1] == OptimizerSpec("adam", {"lr": 1e-2, "weight_decay": 0.2, "eps": 1e-6})


def test_betas_as_a_flat_list_is_one_value():
    grid = expand_optimizer_grid(OptimizerSpec("adam", {"betas": [0.9, 0.99]}))
    assert grid == [OptimizerSpec("adam", {"betas": (0.9, 0.99)})]


def test_betas_as_a_list_of_lists_is_a_grid():
    grid = expand_optimizer_grid(
        OptimizerSpec("adam", {"betas": [[0.9, 0.99], [0.5, 0.9]], "lr": [0.1, 0.2]}, "keras")
    )
    assert [g.hparams for g in grid] == [
        {"betas": (0.9, 0.99), "lr": 0.1},
        {"betas": (0.9, 0.99), "lr": 0.2},
        {"betas": (0.5, 0.9), "lr": 0.1},
        {"betas": (0.5, 0.9), "lr": 0.2},
    ]
    assert all(g.profile == "keras" for g in grid)


def test_no_lists_gives_the_spec_back():
    spec = OptimizerSpec("sgd", {"lr": 0.1})
    assert expand_optimizer_grid(spec) == [spec]


def test_grid_for_an_import_path_reads_tuple_defaults():
    grid = expand_optimizer_grid(OptimizerSpec("torch.optim:Adam", {"betas": [0.8, 0.9]}))
    assert grid == [OptimizerSpec("torch.optim:Adam", {"betas": (0.8, 0.9)})]
