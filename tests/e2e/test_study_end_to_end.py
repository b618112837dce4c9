"""A tiny real study on scikit-learn's digits: store, TensorBoard events, figures, report."""

import sqlite3

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import optbench
from optbench.store import Store

OPTIMIZERS = ["adam", "adagrad", "rmsprop"]
EPOCHS = 2
SCALARS = {
    "train/loss",
    "train/acc",
    "val/loss",
    "val/acc",
    "opt/lr",
    "opt/grad_norm",
    "time/epoch_seconds",
}


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits-study"
    raw = {
        "name": "digits-study",
        "dataset": "digits",
        "optimizers": OPTIMIZERS,
        "epochs": EPOCHS,
        "batch_size": 32,
        "seeds": [0, 1],
        "model": "mlp",
        "profile": "keras",
    }
    outcome = optbench.run_study(raw, out, cache_dir=tmp_path_factory.mktemp("cache"))
    assert (outcome.total, outcome.finished, outcome.failed, outcome.skipped) == (6, 6, 0, 0)
    return out


def test_store_has_one_row_per_trial_per_epoch(study_dir):
    db = sqlite3.connect(study_dir / "study.sqlite")
    rows = db.execute("SELECT trial_id, COUNT(*) FROM epochs GROUP BY trial_id").fetchall()
    assert len(rows) == 6 and {n for _, n in rows} == {EPOCHS}
    statuses = db.execute("SELECT DISTINCT status FROM trials").fetchall()
    assert statuses == [("finished",)]


def test_tensorboard_events_hold_every_epoch_and_histograms(study_dir):
    runs = sorted(p for p in (study_dir / "tb").iterdir() if p.is_dir())
    assert len(runs) == 6
    for run in runs:
        acc = EventAccumulator(str(run), size_guidance={"scalars": 0, "histograms": 0})
        acc.Reload()
        tags = acc.Tags()
        assert set(tags["scalars"]) >= SCALARS
        for tag in SCALARS:
            assert [e.step for e in acc.Scalars(tag)] == list(range(1, EPOCHS + 1))
        assert {"weights/net.1.weight", "grads/net.1.weight"} <= set(tags["histograms"])
        weights = acc.Histograms("weights/net.1.weight")
        assert len(weights) == EPOCHS
        last = weights[-1].histogram_value  # Keras' layout: 30 equal-width buckets
        assert last.num == 128 * 64 and sum(last.bucket) == last.num  # 128 units, 8×8 inputs
        assert len(last.bucket) <= 31 and last.min < 0 < last.max


def test_report_figures_and_config(study_dir):
    report = (study_dir / "report.md").read_text()
    for name in OPTIMIZERS:
        assert f"| {name} | 2/2 |" in report
    assert "identical `" in report and "DIFFER" not in report
    assert "One seed per optimizer" not in report  # two seeds here
    for figure in ("curves-all.png", "curves-adam.png", "curves-rmsprop.png"):
        assert (study_dir / "figures" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'profile = "keras"' in (study_dir / "config.toml").read_text()


def test_rerun_resumes_and_report_regenerates_identically(study_dir, tmp_path):
    before = (study_dir / "report.md").read_text()
    outcome = optbench.run_study(study_dir / "config.toml", study_dir, cache_dir=tmp_path)
    assert (outcome.skipped, outcome.finished) == (6, 0)
    optbench.report(study_dir)
    assert (study_dir / "report.md").read_text() == before


def test_same_seed_trials_share_initial_weights(study_dir):
    store = Store(study_dir / "study.sqlite")
    by_seed: dict[int, set[str]] = {}
    for trial in store.trials():
        by_seed.setdefault(trial["seed"], set()).add(
            (trial["init_fingerprint"], trial["first_batch_loss"])
        )
    store.close()
    assert all(len(v) == 1 for v in by_seed.values()) and len(by_seed) == 2
