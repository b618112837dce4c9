"""`[reference]` in study files: parsed, checked (every problem at once), written back."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from optbench.core.errors import ConfigError
from optbench.plan import load_study_file, parse_study, study_to_toml

SEED_MNIST = Path(__file__).parents[2] / "studies" / "seed-mnist.toml"


def study(reference: dict) -> dict:
    return {
        "name": "r",
        "dataset": "digits",
        "optimizers": ["adam", {"name": "sgd", "lr": [0.1, 0.01]}],
        "reference": reference,
    }


def test_the_seed_study_carries_the_homeworks_numbers() -> None:
    spec = load_study_file(SEED_MNIST)
    ref = spec.reference
    assert ref is not None and "HW2" in ref.source
    assert ref.conditions == {
        "dataset": "mnist",
        "scale": False,
        "reuse_model": True,
        "seeds": 1,
        "epochs": 10,
        "batch_size": 64,
        "profile": "keras",
    }
    by_group = {r.group: r for r in ref.results}
    assert by_group["adagrad"].metrics == {
        "train/loss": 0.038,
        "train/acc": 0.9881,
        "val/loss": 0.2166,
        "val/acc": 0.9648,
    }
    assert "epoch 9" in by_group["adam"].note  # the scan lost adam's last epoch


def test_a_reference_round_trips_through_config_toml() -> None:
    spec = load_study_file(SEED_MNIST)
    assert parse_study(tomllib.loads(study_to_toml(spec))) == spec


def test_groups_are_the_studys_labels_grid_points_included() -> None:
    spec = parse_study(
        study(
            {
                "source": "s",
                "results": {"sgd(lr=0.01)": {"val/acc": 0.9}, "adam": {"train/loss": 0.1}},
            }
        )
    )
    assert [r.group for r in spec.reference.results] == ["sgd(lr=0.01)", "adam"]


def test_every_problem_is_reported_at_once() -> None:
    bad = {
        "sorce": "typo",
        "conditions": {"scale": "no", "epochz": 3},
        "results": {
            "adamm": {"val/acc": 0.9},
            "adam": {"val/acc": 95, "val/los": 0.2, "note": 3},
        },
    }
    with pytest.raises(ConfigError) as error:
        parse_study(study(bad))
    text = str(error.value)
    for expected in (
        "Unknown key `reference.sorce`. Did you mean 'source'?",
        "`reference.source` is required",
        "`reference.conditions.scale` must be bool",
        "Unknown key `reference.conditions.epochz`",
        "`reference.results.adam.val/acc` is a fraction in [0, 1] (0.95, not 95)",
        "Unknown key `reference.results.adam.val/los`. Did you mean 'val/loss'?",
        "`reference.results.adam.note` must be a string",
    ):
        assert expected in text, text


def test_a_group_the_study_does_not_train_is_named_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"no group 'adamm'\. Did you mean 'adam'"):
        parse_study(study({"source": "s", "results": {"adamm": {"val/acc": 0.9}}}))


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("a paper", "`reference` must be a table"),
        ({"source": "s"}, "`reference.results` needs one table per group"),
        ({"source": "s", "results": {"adam": {}}}, "gives no metric"),
        ({"source": "s", "results": {"adam": {"val/loss": -1}}}, "must be a number >= 0"),
    ],
)
def test_bad_reference_tables(reference, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_study(study(reference))


def test_cli_exits_2_on_a_bad_reference(tmp_path: Path, capsys) -> None:
    from optbench.cli.app import main

    path = tmp_path / "s.toml"
    path.write_text(
        'name = "s"\ndataset = "digits"\noptimizers = ["adam"]\n'
        '[reference]\nsource = "x"\n[reference.results.adam]\n"val/acc" = 97\n'
    )
    assert main(["run", str(path)]) == 2
    assert "is a fraction in [0, 1]" in capsys.readouterr().err
