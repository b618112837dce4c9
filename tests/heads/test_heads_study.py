"""A head study end to end on real offline data (digits 0 vs 1), the checker inside a trial,
the report's head section, and the `heads` and `doctor` commands."""

from pathlib import Path

import pytest
import typer

import optbench
from optbench.cli import doctor_cmd, heads_cmd
from optbench.core.errors import ConfigError, OptbenchError
from optbench.core.specs import DatasetSpec, ModelSpec, OptimizerSpec, TrialSpec
from optbench.data import load_dataset
from optbench.diagnose.setup_check import SetupCheck, check_study
from optbench.engine import TrainOptions, train_trial
from optbench.report.heads import draw_heads_figure, head_rows, heads_html, heads_markdown

BINARY = {"name": "digits", "classes": [0, 1]}
HEADS = [
    {"units": 1, "activation": "softmax", "loss": "bce"},
    {"units": 1, "activation": "softmax", "loss": "keras_bce"},
    {"units": 2, "activation": "tanh", "loss": "bce"},
    {"units": 1, "activation": "sigmoid", "loss": "bce"},
    {"activation": "linear", "loss": "cross_entropy"},
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory, cache):
    raw = {
        "name": "digits-heads",
        "dataset": BINARY,
        "model": {"name": "mlp", "hidden": [16], "init": "keras"},
        "optimizers": ["sgd"],
        "profile": "keras",
        "epochs": 3,
        "batch_size": 20,
        "heads": HEADS,
        "histogram_freq": 0,
        "workers": 1,  # in this process: no worker start-up in a quick test
    }
    out = tmp_path_factory.mktemp("runs") / "digits-heads"
    outcome = optbench.run_study(raw, out, cache_dir=cache)
    assert outcome.failed == 0 and outcome.finished == len(HEADS)
    return out


def test_single_unit_softmax_is_at_exact_chance_every_epoch(study_dir, cache):
    view = optbench.open_study(study_dir)
    data = load_dataset(DatasetSpec("digits", options={"classes": [0, 1]}), cache)
    share_train = int(data.train.y.sum()) / len(data.train.y)  # class 1 predicted for all
    share_val = int(data.test.y.sum()) / len(data.test.y)
    for group in ("1×softmax + bce", "1×softmax + keras_bce"):
        trial = next(t for t in view.trials if t.group == group)
        assert [e["train/acc"] for e in trial.epochs] == pytest.approx([share_train] * 3, abs=1e-12)
        assert [e["val/acc"] for e in trial.epochs] == pytest.approx([share_val] * 3, abs=1e-12)
    frozen = next(t for t in view.trials if t.group == "1×softmax + bce")
    losses = [e["train/loss"] for e in frozen.epochs]  # no gradient at all: float noise only
    assert losses == pytest.approx([losses[0]] * 3, rel=1e-7)
    keras = next(t for t in view.trials if t.group == "1×softmax + keras_bce")
    assert keras.epochs[-1]["train/loss"] < keras.epochs[0]["train/loss"]  # the seed's 0.40


def test_report_section_has_table_verdicts_explanations_and_curves(study_dir):
    view = optbench.open_study(study_dir)
    rows = {r.group: r for r in head_rows(view)}
    assert rows["1×sigmoid + bce"].verdict == "learns"
    assert rows["C×linear + cross_entropy"].verdict == "learns"
    assert rows["1×softmax + bce"].verdict == "loss frozen"
    assert rows["1×softmax + keras_bce"].verdict == "stuck at chance"
    codes = {g: [f["code"] for f in r.findings] for g, r in rows.items()}
    assert "head.single_unit_softmax" in codes["1×softmax + bce"]
    assert "head.range_mismatch" in codes["2×tanh + bce"]
    assert not any(c.startswith("head.") for c in codes["1×sigmoid + bce"])
    text = heads_markdown(view)
    assert text.startswith("## Output heads")
    assert "| 1 × softmax | `bce` |" in text and "**loss frozen**" in text
    assert "softmax over one unit is exp(z)/exp(z) = 1" in text and "*Fix:*" in text
    assert "figures/curves-all.png" in text and "curves-" in text.split("### Curves")[1]
    page = heads_html(view, heads_figure="heads.png")
    assert "<table>" in page and "head.range_mismatch" in page and 'src="figures/heads.png"' in page
    assert draw_heads_figure(view, study_dir / "figures" / "heads.png").stat().st_size > 1000


def test_no_heads_no_section(tmp_path, cache):
    raw = {
        "name": "plain",
        "dataset": "digits",
        "optimizers": ["sgd"],
        "epochs": 1,
        "histogram_freq": 0,
        "model": {"name": "mlp", "hidden": [8]},
        "workers": 1,
    }
    optbench.run_study(raw, tmp_path / "plain", cache_dir=cache)
    view = optbench.open_study(tmp_path / "plain")
    assert heads_markdown(view) == "" and heads_html(view) == ""
    assert draw_heads_figure(view, tmp_path / "h.png") is None


# -- the checker inside a trial ------------------------------------------------------------


def _trial(head_units, head_activation, loss):
    return TrialSpec(
        dataset=DatasetSpec("digits", options={"classes": [0, 1]}),
        model=ModelSpec(hidden=(8,), head_units=head_units, head_activation=head_activation),
        optimizer=OptimizerSpec("sgd", {"lr": 0.01}),
        seed=0,
        epochs=2,
        batch_size=32,
        loss=loss,
    )


def test_setup_check_runs_before_the_first_step_and_reports_with_the_trial(cache):
    trial = _trial(2, "tanh", "bce")
    data = load_dataset(trial.dataset, cache)
    events = list(train_trial(trial, data, TrainOptions(histogram_freq=0), [SetupCheck()]))
    first_record = events[1]
    assert [f.code for f in first_record.findings][:1] == ["head.range_mismatch"]
    assert first_record.findings[0].epoch == 0 and first_record.findings[0].trial_id == trial.id
    assert events[-1].status == "finished"  # not in the stop policy: it trains, and shows why


def test_setup_check_stops_a_trial_only_when_the_policy_names_the_code(cache):
    trial = _trial(1, "softmax", "bce")
    data = load_dataset(trial.dataset, cache)
    check = SetupCheck(stop_on=["single_unit_softmax"])
    events = list(train_trial(trial, data, TrainOptions(histogram_freq=0), [check]))
    result = events[-1]
    assert result.status == "stopped" and result.error == "head.single_unit_softmax"
    assert len(events) <= 3  # started, at most one (cut) epoch, result
    with pytest.raises(ConfigError, match="Unknown finding code"):
        SetupCheck(stop_on=["single_unit_softmaxx"])


def test_check_study_checks_each_head_once_on_the_real_first_batch(cache):
    study = optbench.parse_study(
        {
            "dataset": BINARY,
            "optimizers": ["sgd", "adam"],
            "seeds": [0, 1],
            "heads": HEADS,
            "model": {"name": "mlp", "hidden": [8]},
        }
    )
    data = load_dataset(study.dataset, cache)
    results = check_study(study, data)
    assert list(results) == [
        "1×softmax + bce",
        "1×softmax + keras_bce",
        "2×tanh + bce",
        "1×sigmoid + bce",
        "C×linear + cross_entropy",
    ]
    assert results["1×sigmoid + bce"] == [] and results["C×linear + cross_entropy"] == []


# -- the commands ----------------------------------------------------------------------------


def run(args: list[str]) -> int:
    """The two commands on their own Typer app, with the CLI's error → exit-code mapping."""
    app = typer.Typer()
    heads_cmd.register(app)
    doctor_cmd.register(app)
    try:
        app(args=args, standalone_mode=False)
    except OptbenchError as exc:
        print(f"Error: {exc}")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    return 0


def test_doctor_exit_codes(capsys, monkeypatch, cache):
    monkeypatch.setenv("OPTBENCH_CACHE", str(cache))
    base = ["doctor", "--dataset", "digits", "--classes", "0,1", "--model", "mlp:8"]
    assert run([*base, "--heads", "1:sigmoid:bce,C:linear:cross_entropy"]) == 0
    out = capsys.readouterr().out
    assert "✓ 1×sigmoid + bce — no findings" in out
    assert run([*base, "--heads", "1:softmax:bce,2:tanh:bce"]) == 1
    out = capsys.readouterr().out
    assert "head.single_unit_softmax" in out and "Fix:" in out and "2 head(s) with errors" in out
    assert run([*base, "--heads", "2:sigmoid:mse"]) == 0
    assert run([*base, "--heads", "2:sigmoid:mse", "--fail-on", "warning"]) == 1
    capsys.readouterr()
    assert run([*base, "--heads", "2:tanhh:bce"]) == 2
    assert "Did you mean 'tanh'" in capsys.readouterr().out
    assert run([*base, "--heads", "sigmoid:bce"]) == 2
    assert "UNITS:ACTIVATION:LOSS" in capsys.readouterr().out


def test_heads_command_runs_a_study(tmp_path, capsys, monkeypatch, cache):
    monkeypatch.setenv("OPTBENCH_CACHE", str(cache))
    out = tmp_path / "study"
    code = run(
        [
            "heads",
            "--dataset",
            "digits",
            "--classes",
            "0,1",
            "--model",
            "mlp:8",
            "--heads",
            "1:softmax:bce,1:sigmoid:bce",
            "--epochs",
            "1",
            "--workers",
            "1",
            "--out",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert code == 0, text
    assert "Checked 2 head(s)" in text and "head.single_unit_softmax" in text
    assert (out / "study.sqlite").exists()
    view = optbench.open_study(out)
    assert [r.group for r in head_rows(view)] == ["1×softmax + bce", "1×sigmoid + bce"]


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist").is_dir(), reason="needs dataset-fashion-mnist"
)
def test_doctor_on_the_seed_study_flags_exactly_the_broken_heads(capsys, monkeypatch, cache):
    monkeypatch.setenv("OPTBENCH_CACHE", str(cache))
    study = Path(__file__).parents[2] / "studies" / "seed-heads.toml"
    assert run(["doctor", str(study)]) == 1
    lines = capsys.readouterr().out.splitlines()
    failing = {line[2:] for line in lines if line.startswith("✗ ")}
    assert failing == {"1×softmax + keras_bce", "2×tanh + keras_bce", "1×softmax + bce"}
    assert "✓ 1×sigmoid + bce — no findings" in lines


def test_convnet_heads_train_on_an_image_folder(tmp_path, cache):
    """The seed's pipeline in miniature: an RGB image folder → the convnet → several heads."""
    import io

    from PIL import Image

    rng = __import__("numpy").random.default_rng(0)
    for split, n in (("train", 12), ("validation", 6)):
        for label, name in enumerate(("cats", "dogs")):
            folder = tmp_path / "pets" / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 100, (20, 20, 3)) + 120 * label
                buffer = io.BytesIO()
                Image.fromarray(pixels.astype("uint8")).save(buffer, format="PNG")
                (folder / f"{i}.png").write_bytes(buffer.getvalue())
    raw = {
        "name": "pets",
        "dataset": {"name": "image-folder", "path": str(tmp_path / "pets")},
        "model": {"name": "convnet", "hidden": [16], "init": "keras"},
        "optimizers": ["adam"],
        "profile": "keras",
        "epochs": 2,
        "batch_size": 8,
        "heads": [
            {"units": 1, "activation": "sigmoid", "loss": "bce"},
            {"units": 1, "activation": "softmax", "loss": "bce"},
        ],
        "histogram_freq": 0,
        "workers": 1,
    }
    study = optbench.parse_study(raw)
    from dataclasses import replace

    study = replace(study, dataset=replace(study.dataset, options={"size": 16}))
    outcome = optbench.run_study(study, tmp_path / "run", cache_dir=cache)
    assert outcome.finished == 2
    rows = {r.group: r for r in head_rows(optbench.open_study(tmp_path / "run"))}
    assert rows["1×softmax + bce"].metrics["final_acc"] == 0.5
    assert "head.single_unit_softmax" in [f["code"] for f in rows["1×softmax + bce"].findings]


def test_heads_command_takes_a_study_file(tmp_path, capsys, monkeypatch, cache):
    monkeypatch.setenv("OPTBENCH_CACHE", str(cache))
    common = (
        'epochs = 1\nworkers = 1\noptimizers = ["sgd"]\n'
        '[dataset]\nname = "digits"\nclasses = [0, 1]\n[model]\nname = "mlp"\nhidden = [8]\n'
    )
    study = tmp_path / "h.toml"
    study.write_text(common + '[[heads]]\nunits = 2\nactivation = "tanh"\nloss = "bce"\n')
    assert run(["heads", str(study), "--out", str(tmp_path / "h")]) == 0
    assert "✗ 2×tanh + bce" in capsys.readouterr().out
    plain = tmp_path / "plain.toml"
    plain.write_text(common)
    assert run(["heads", str(plain)]) == 2
    assert "has no [[heads]]" in capsys.readouterr().out
