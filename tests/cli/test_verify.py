"""`optbench verify`: retrain a study's trials and compare them with the store, epoch by epoch.

Acceptance (issue "Same study, same numbers"): on a 3-optimizer × 2-seed study every trial
matches; a hand-edited row of the store is caught (exit 1), and so is a row edited together
with its digest (retraining disagrees); a trial recorded under other numerics is named, not
counted as a mismatch.
"""

import json
import sqlite3

import pytest

import optbench
from optbench.cli.app import main

RAW = {
    "name": "verify-me",
    "dataset": "digits",
    "optimizers": ["adam", "sgd:lr=0.05", "rmsprop"],
    "seeds": [0, 1],
    "epochs": 3,
    "batch_size": 32,
}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("verify") / "study"
    outcome = optbench.run_study(RAW, folder, cache_dir=folder.parent / "cache")
    assert outcome.finished == 6
    return folder


def _copy(study, tmp_path):
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(study, target)
    return target


def test_every_trial_matches(study, capsys):
    assert main(["verify", str(study)]) == 0
    out = capsys.readouterr().out
    assert "6 match, 0 differ" in out
    checks = optbench.verify(study)
    assert [c.verdict for c in checks] == ["match"] * 6
    db = sqlite3.connect(study / "study.sqlite")
    digests = dict(db.execute("SELECT id, digest FROM trials").fetchall())
    assert {c.trial_id: c.digest for c in checks} == digests and None not in digests.values()


def test_a_sample_retrains_only_that_many(study):
    checks = optbench.verify(study, trials=2, seed=3)
    assert len(checks) == 2 and {c.verdict for c in checks} == {"match"}
    assert [c.trial_id for c in checks] == [
        c.trial_id for c in optbench.verify(study, trials=2, seed=3)
    ]


def test_a_hand_edited_row_is_caught(study, tmp_path, capsys):
    folder = _copy(study, tmp_path)
    db = sqlite3.connect(folder / "study.sqlite")
    label = "sgd(lr=0.05) seed=1"
    trial = db.execute("SELECT id, label FROM trials WHERE label = ?", (label,)).fetchone()
    with db:
        db.execute(
            "UPDATE epochs SET val_acc = val_acc + 1e-9 WHERE trial_id = ? AND epoch = 2",
            (trial[0],),
        )
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "5 match, 1 differ" in out and "edited or damaged" in out
    (bad,) = [c for c in optbench.verify(folder) if c.verdict == "mismatch"]
    assert bad.label == "sgd(lr=0.05) seed=1"


def test_a_row_edited_with_its_digest_is_caught_by_retraining(study, tmp_path):
    folder = _copy(study, tmp_path)
    db = sqlite3.connect(folder / "study.sqlite")
    trial_id = db.execute("SELECT id FROM trials WHERE label = 'adam seed=0'").fetchone()[0]
    from optbench.store import Store

    with db:
        db.execute(
            "UPDATE epochs SET train_loss = 0.5 WHERE trial_id = ? AND epoch = 3", (trial_id,)
        )
    store = Store(folder / "study.sqlite")
    from optbench.core.digest import trial_digest

    row = next(t for t in store.trials() if t["id"] == trial_id)
    forged = trial_digest(store.epochs(trial_id), row["final_fingerprint"])
    store.close()
    with db:
        db.execute("UPDATE trials SET digest = ? WHERE id = ?", (forged, trial_id))
    (bad,) = [c for c in optbench.verify(folder) if c.verdict == "mismatch"]
    assert bad.trial_id == trial_id
    assert bad.detail.startswith("epoch 3: train_loss 0.5 stored")


def test_other_numerics_are_named_not_counted(study, tmp_path, capsys):
    folder = _copy(study, tmp_path)
    db = sqlite3.connect(folder / "study.sqlite")
    trial_id, env = db.execute(
        "SELECT id, env FROM trials WHERE label = 'rmsprop seed=0'"
    ).fetchone()
    env = json.loads(env)
    env["numerics"]["torch"] = "1.0.0"
    with db:
        db.execute("UPDATE trials SET env = ? WHERE id = ?", (json.dumps(env), trial_id))
    assert main(["verify", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "5 match, 0 differ, 1 trained under other numerics" in out
    (other,) = [c for c in optbench.verify(folder) if c.verdict == "other numerics"]
    assert other.trial_id == trial_id and "torch 1.0.0 stored" in other.detail


def test_no_study_is_a_clear_error(tmp_path, capsys):
    assert main(["verify", str(tmp_path)]) == 2
    assert "study.sqlite is missing" in capsys.readouterr().err


def test_a_trial_stored_before_the_update_path_was_recorded_ran_the_plain_rule(study, tmp_path):
    """Stores written before `numerics.update` existed: such a trial ran its optimizer's plain
    rule (or torch's kernel), and is compared as such, not set aside as other numerics."""
    folder = _copy(study, tmp_path)
    db = sqlite3.connect(folder / "study.sqlite")
    rows = db.execute("SELECT id, env FROM trials").fetchall()
    with db:
        for trial_id, env in rows:
            env = json.loads(env)
            assert env["numerics"].pop("update") == "plain"  # torch's Adam, SGD, RMSprop
            db.execute("UPDATE trials SET env = ? WHERE id = ?", (json.dumps(env), trial_id))
    assert {c.verdict for c in optbench.verify(folder)} == {"match"}
