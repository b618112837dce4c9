"""The homework's mistakes, reproduced on purpose, are named in the report."""

import optbench


def test_reused_model_and_unscaled_inputs_are_reported(tmp_path):
    raw = {"name": "homework", "dataset": {"name": "digits", "scale": False},
           "optimizers": ["adam", "adagrad", "rmsprop"], "epochs": 1, "batch_size": 32,
           "reuse_model": True}
    outcome = optbench.run_study(raw, tmp_path / "hw", cache_dir=tmp_path)
    assert outcome.finished == 3
    view = optbench.open_study(outcome.folder)
    codes = {f["code"] for f in view.findings}
    assert {"fairness.reused_model", "data.unscaled_inputs"} <= codes
    # The chain is real: the second trial starts where the first one ended.
    first, second, _ = view.trials
    assert second.row["init_fingerprint"] == first.row["final_fingerprint"]
    assert second.row["first_batch_loss"] < first.row["first_batch_loss"]
    report = (outcome.folder / "report.md").read_text()
    assert "fairness.reused_model" in report and "data.unscaled_inputs" in report
    assert "DIFFER" in report  # the fairness table shows the trials did not start alike
