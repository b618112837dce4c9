"""`tune = "lr"`: an equal-budget search on held-out data, then the best lr with every seed."""

import json
import sqlite3

import optbench
from optbench.plan import SEARCH_TAG

GRID = [1e-3, 1e-2, 1e-1]


def test_tuning_searches_fairly_and_reruns_the_best(tmp_path):
    raw = {"name": "tune", "dataset": "digits", "optimizers": ["adam", "sgd"], "epochs": 2,
           "batch_size": 32, "seeds": [0, 1], "tune": "lr", "lr_grid": GRID}
    outcome = optbench.run_study(raw, tmp_path / "t", cache_dir=tmp_path)
    db = sqlite3.connect(tmp_path / "t" / "study.sqlite")
    rows = db.execute("SELECT optimizer, seed, spec, status FROM trials").fetchall()
    search = [r for r in rows if SEARCH_TAG in r[0]]
    # Equal budget: every optimizer gets every grid point, one seed, the study's epochs.
    assert len(search) == 2 * len(GRID) and {r[1] for r in search} == {0}
    for _, _, spec, _ in search:
        spec = json.loads(spec)
        assert spec["dataset"]["holdout"] == 1437 // 6  # never the test split
        assert spec["epochs"] == 2
    tuned = [r for r in rows if "tuned lr=" in r[0]]
    defaults = [r for r in rows if r[0] in ("adam", "sgd")]
    assert len(defaults) == 4
    assert {r[1] for r in tuned} <= {0, 1} and len(tuned) in (2, 4)  # a tuned lr may be the default
    assert {r[3] for r in rows} == {"finished"}
    # sgd's default lr (1e-3) is far too small for 2 epochs: its tuned lr is larger.
    sgd_tuned = [r for r in tuned if r[0].startswith("sgd")]
    assert sgd_tuned and float(sgd_tuned[0][0].split("lr=")[1].rstrip(")")) > 1e-3
    assert outcome.failed == 0
    again = optbench.run_study(raw, tmp_path / "t", cache_dir=tmp_path)
    assert again.finished == 0 and again.skipped == again.total
    count = db.execute("SELECT COUNT(*), COUNT(DISTINCT trial_id || '/' || epoch) FROM epochs")
    n, distinct = count.fetchone()
    assert n == distinct
