import tomllib
from pathlib import Path

import pytest

from optbench.core.errors import ConfigError
from optbench.plan import expand, load_study_file, parse_study, study_to_toml

ROOT = Path(__file__).resolve().parents[2]


def _raw(**over):
    raw = {"name": "t", "dataset": "digits", "optimizers": ["adam", "sgd"], "epochs": 2}
    raw.update(over)
    return raw


def test_shipped_studies_parse():
    for path in sorted((ROOT / "studies").glob("*.toml")):
        study = load_study_file(path)
        assert study.optimizers, path
    seed = load_study_file(ROOT / "studies" / "seed-mnist.toml")
    assert [o.name for o in seed.optimizers] == ["adam", "adagrad", "rmsprop"]
    assert {o.profile for o in seed.optimizers} == {"keras"}
    assert seed.model.init == "keras" and seed.batch_size == 64 and seed.epochs == 10


def test_expand_grid_times_seeds():
    study = parse_study(
        _raw(optimizers=[{"name": "adam", "lr": [1e-3, 1e-2]}, "sgd"], seeds=[0, 1, 2])
    )
    trials = expand(study)
    assert len(trials) == (2 + 1) * 3
    assert len({t.id for t in trials}) == len(trials)
    assert trials[0].optimizer.hparams["lr"] == 1e-3 and "betas" in trials[0].optimizer.hparams
    assert trials[0].group == "adam(lr=0.001)"


def test_ids_stable_and_sensitive():
    a = expand(parse_study(_raw()))
    b = expand(parse_study(_raw()))
    c = expand(parse_study(_raw(epochs=3)))
    assert [t.id for t in a] == [t.id for t in b]
    assert not {t.id for t in a} & {t.id for t in c}


def test_every_problem_reported_at_once():
    with pytest.raises(ConfigError) as info:
        parse_study(
            {
                "dataset": "digitz",
                "optimizers": ["adamm"],
                "epochs": 0,
                "batch_size": -1,
                "seedz": [1],
            }
        )
    text = str(info.value)
    assert "5 problems" in text
    for expected in (
        "Did you mean 'digits'",
        "Did you mean 'adam'",
        "`epochs` must be between",
        "`batch_size` must be between",
        "Unknown key `seedz`. Did you mean 'seeds'",
    ):
        assert expected in text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_raw(optimizers=[]), "`optimizers` must be a non-empty list"),
        (_raw(seeds=[0, 0]), "`seeds` has duplicates"),
        (_raw(seeds="zero"), "`seeds` must be a non-empty list"),
        (_raw(device="gpu"), "`device` must be cpu, cuda"),
        (_raw(epochs=10**9), "`epochs` must be between 1 and 100000"),
        (_raw(model={"hidden": [0]}), "`model.hidden` must be a list of positive integers"),
        (_raw(model={"name": "mlp", "activaton": "relu"}), "Did you mean 'activation'"),
        (_raw(dataset={"name": "digits", "scale": "yes"}), "`dataset.scale` must be bool"),
        (_raw(optimizers=[{"name": "adam", "lr": -0.1}]), "lr"),
        (_raw(optimizers=[{"lr": 0.1}]), "each optimizer must be a name or a table"),
        (_raw(profile="tf"), "`profile` must be one of torch, keras"),
        (_raw(model="mlp:abc"), "'abc' is neither a hidden size nor activation=NAME"),
        (_raw(model="mlpp:128"), "Unknown model 'mlpp'. Did you mean 'mlp'"),
    ],
)
def test_bad_values(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_study(raw)


def test_a_model_in_the_form_compare_takes():
    # `mlp:256,128,activation=tanh`, as `compare --model` and optbench.compare take it; its
    # init follows the profile, as a [model] table's does
    spec = parse_study(_raw(model="mlp:256,128,activation=tanh", profile="keras"))
    model = spec.model
    assert (model.hidden, model.activation, model.init) == ((256, 128), "tanh", "keras")
    table = parse_study(_raw(model={"hidden": [256, 128], "activation": "tanh"}, profile="keras"))
    assert spec.model == table.model


def test_malformed_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("name = \n[dataset")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_study_file(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_study_file(tmp_path / "missing.toml")


def test_config_round_trip(tmp_path):
    study = parse_study(
        _raw(
            optimizers=[{"name": "adam", "lr": [1e-3, 1e-2]}, "sgd:lr=0.1"],
            seeds=[0, 1],
            profile="keras",
        )
    )
    path = tmp_path / "config.toml"
    path.write_text(study_to_toml(study))
    tomllib.loads(path.read_text())
    again = load_study_file(path)
    assert [t.id for t in expand(again)] == [t.id for t in expand(study)]
