"""One replica of a stacked group raises: only that trial fails, the others finish."""

import torch

import optbench


class ExplodingSGD(torch.optim.SGD):
    """An optimizer whose third step raises, as a buggy user optimizer would."""

    def __init__(self, params, lr: float = 0.01) -> None:
        super().__init__(params, lr=lr)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        if self.steps == 3:
            raise RuntimeError("boom in step 3")
        return super().step(closure)


def test_only_the_raising_trial_fails(tmp_path):
    raw = {"name": "boom", "dataset": "digits", "epochs": 2, "batch_size": 64, "workers": 1,
           "optimizers": ["adam", "test_failing_replica:ExplodingSGD", "sgd"]}
    outcome = optbench.run_study(raw, tmp_path / "s", cache_dir=tmp_path)
    assert (outcome.finished, outcome.failed) == (2, 1)
    view = optbench.open_study(outcome.folder)
    status = {t.row["optimizer"]: (t.row["status"], t.row["error"]) for t in view.trials}
    assert status["adam"] == ("finished", None) and status["sgd"] == ("finished", None)
    failed_status, error = status["test_failing_replica:ExplodingSGD"]
    assert failed_status == "failed" and "boom in step 3" in error
    assert all(len(t.epochs) == 2 for t in view.trials if t.row["status"] == "finished")
