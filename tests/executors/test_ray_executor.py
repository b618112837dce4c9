"""The Ray executor on a real two-node Ray cluster (loopback): same numbers as the local
executor, a killed worker's trials retried without losing or repeating an epoch, a raising
trial recorded as failed, and Ctrl-C leaving a study that resumes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'optbench[ray]'")

from ray_cluster import HOST, free_port, processes_using  # noqa: E402

import optbench  # noqa: E402
from optbench.core.errors import ConfigError  # noqa: E402
from optbench.core.specs import EpochRecord  # noqa: E402
from optbench.data import load_dataset  # noqa: E402
from optbench.engine import TrainOptions  # noqa: E402
from optbench.executors import RunRequest, dataset_key  # noqa: E402
from optbench.executors.ray_executor import WORKER_LOST, RayExecutor  # noqa: E402
from optbench.store import Store  # noqa: E402

HERE = Path(__file__).resolve().parent
METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "grad_norm")
# 12 trials: 4 optimizers × 3 seeds (acceptance 1).
TWELVE = {
    "name": "ray-agree",
    "dataset": "digits",
    "optimizers": ["adam", "sgd:lr=0.05", "lars", "rmsprop"],
    "epochs": 2,
    "batch_size": 32,
    "seeds": [0, 1, 2],
}
# Trials slow enough on the cluster (SlowSGD sleeps there, ~0.9 s an epoch per group) to be
# killed or interrupted mid-trial; fast, and numerically identical, in this process.
SLOW = {
    "name": "ray-slow",
    "dataset": "digits",
    "optimizers": ["executor_test_optim:SlowSGD"],
    "epochs": 3,
    "batch_size": 32,
    "seeds": [0, 1, 2, 3],
}


def _epochs(folder: Path) -> dict[tuple[str, int], tuple[float, ...]]:
    """(trial, epoch) → metrics; a duplicate (trial, epoch) row would fail the assert."""
    store = Store(folder / "study.sqlite")
    try:
        rows = store.epochs()
    finally:
        store.close()
    table = {(r["trial_id"], r["epoch"]): tuple(r[m] for m in METRICS) for r in rows}
    assert len(table) == len(rows)
    return table


def _trials(folder: Path) -> list[dict]:
    store = Store(folder / "study.sqlite")
    try:
        return store.trials()
    finally:
        store.close()


def _findings(folder: Path) -> list[dict]:
    store = Store(folder / "study.sqlite")
    try:
        return store.findings()
    finally:
        store.close()


@pytest.fixture(scope="module")
def slow_reference(tmp_path_factory):
    """The SLOW study run by the local executor: what every Ray run of it must reproduce."""
    folder = tmp_path_factory.mktemp("slow-local")
    optbench.run_study({**SLOW, "workers": 1}, folder, cache_dir=folder)
    return _epochs(folder)


def test_twelve_trials_match_the_local_executor(ray_cluster, tmp_path):
    local = optbench.run_study({**TWELVE, "workers": 1}, tmp_path / "local", cache_dir=tmp_path)
    remote = optbench.run_study(
        {**TWELVE, "executor": "ray", "address": ray_cluster.address},
        tmp_path / "ray",
        cache_dir=tmp_path,
    )
    assert local.finished == remote.finished == 12
    expected, got = _epochs(tmp_path / "local"), _epochs(tmp_path / "ray")
    assert len(expected) == 24 and got == expected
    here = {t["id"]: (t["digest"], t["final_fingerprint"]) for t in _trials(tmp_path / "local")}
    there = {t["id"]: (t["digest"], t["final_fingerprint"]) for t in _trials(tmp_path / "ray")}
    assert there == here and None not in {d for d, _ in here.values()}
    envs = [t["env"] for t in _trials(tmp_path / "ray")]
    local_numerics = {json.dumps(t["env"]["numerics"]) for t in _trials(tmp_path / "local")}
    assert {json.dumps(e["numerics"]) for e in envs} == local_numerics  # the same step, torch…
    assert {e["executor"] for e in envs} == {"ray"}
    assert len({e["pid"] for e in envs}) >= 2  # both nodes trained (one CPU each)


class KillFirstWorker:
    """A progress listener that SIGKILLs the Ray worker of the first epoch to land."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.killed: int | None = None
        self.starts: dict[str, int] = {}

    def epoch_done(self, spec, record) -> None:
        if self.killed is None:
            self.killed = _pid_of(self.folder, record.trial_id)
            os.kill(self.killed, signal.SIGKILL)

    def trial_started(self, spec) -> None:
        self.starts[spec.id] = self.starts.get(spec.id, 0) + 1

    def study_started(self, *args) -> None: ...
    def trial_done(self, *args) -> None: ...
    def finding(self, *args) -> None: ...
    def note(self, *args) -> None: ...


def _pid_of(folder: Path, trial_id: str) -> int:
    """The worker pid the trial reported (TrialStarted env), read as `optbench show` would."""
    db = sqlite3.connect(f"file:{folder / 'study.sqlite'}?mode=ro", uri=True)
    try:
        (env,) = db.execute("SELECT env FROM trials WHERE id = ?", (trial_id,)).fetchone()
    finally:
        db.close()
    return json.loads(env)["pid"]


def test_killed_worker_is_retried_without_losing_or_repeating_epochs(
    ray_cluster, tmp_path, slow_reference
):
    folder = tmp_path / "study"
    killer = KillFirstWorker(folder)
    outcome = optbench.run_study(
        {**SLOW, "executor": "ray", "address": ray_cluster.address},
        folder,
        cache_dir=tmp_path,
        progress=killer,
    )
    assert killer.killed is not None
    assert outcome.finished == 4 and outcome.failed == 0
    # Every trial has epochs 1..3 exactly once, with the numbers of an uninterrupted run.
    assert _epochs(folder) == slow_reference
    retried = {f["trial_id"] for f in _findings(folder) if f["code"] == WORKER_LOST}
    assert retried  # the killed task's trials were retried (and say so in the report)
    assert all(killer.starts[t] == 2 for t in retried)
    with pytest.raises(ProcessLookupError):
        os.kill(killer.killed, 0)


def test_raising_trial_is_recorded_failed_and_the_study_goes_on(ray_cluster, tmp_path):
    raw = {
        "name": "ray-raise",
        "dataset": "digits",
        "optimizers": ["executor_test_optim:ExplodingSGD", "sgd:lr=0.05", "adam"],
        "epochs": 3,
        "batch_size": 32,
        "stack": False,  # stacked replicas share one fate; this checks a trial on its own
    }
    folder = tmp_path / "study"
    outcome = optbench.run_study(
        {**raw, "executor": "ray", "address": ray_cluster.address}, folder, cache_dir=tmp_path
    )
    assert (outcome.finished, outcome.failed) == (2, 1)
    trials = {t["optimizer"]: t for t in _trials(folder)}
    exploded = trials["executor_test_optim:ExplodingSGD"]
    assert exploded["status"] == "failed"
    assert exploded["error"] == "RuntimeError: ExplodingSGD exploded at step 60"
    epochs = _epochs(folder)
    assert [e for (t, e) in epochs if t == exploded["id"]] == [1]  # epoch 1 finished, kept
    for name in ("sgd(lr=0.05)", "adam"):
        assert trials[name]["status"] == "finished"
        assert [e for (t, e) in sorted(epochs) if t == trials[name]["id"]] == [1, 2, 3]
    assert not any(f["code"] == WORKER_LOST for f in _findings(folder))  # not retried


def test_ctrl_c_cancels_and_leaves_a_resumable_study(ray_cluster, tmp_path, slow_reference):
    folder = tmp_path / "study"
    raw = {**SLOW, "executor": "ray", "address": ray_cluster.address}
    driver = (
        "import json, sys; from pathlib import Path; import optbench; "
        "raw, out, cache = json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]); "
        "optbench.run_study(raw, out, cache_dir=cache)"
    )
    command = [sys.executable, "-c", driver, json.dumps(raw), str(folder), str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for_first_epoch(folder, process)
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output = process.communicate(timeout=30)[0].decode()  # it stops promptly
    finally:
        process.kill()
    assert "KeyboardInterrupt" in output, output
    assert [t["status"] for t in _trials(folder)].count("finished") < 4

    again = optbench.run_study(raw, folder, cache_dir=tmp_path)
    assert again.finished + again.skipped == 4 and again.failed == 0
    assert _epochs(folder) == slow_reference  # resumed from checkpoints: the same numbers


def _wait_for_first_epoch(folder: Path, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
        try:
            db = sqlite3.connect(f"file:{folder / 'study.sqlite'}?mode=ro", uri=True)
            try:
                if db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]:
                    return
            finally:
                db.close()
        except sqlite3.OperationalError:
            pass  # not created yet
        time.sleep(0.1)
    raise AssertionError("no epoch was recorded in time")


def test_closing_a_run_cancels_its_tasks(ray_cluster, tmp_path):
    """The driver closing the event stream (what Ctrl-C does) stops the tasks at once, even
    while this process stays connected to the cluster."""
    study = optbench.parse_study({**SLOW, "epochs": 20})
    data = load_dataset(study.dataset, tmp_path)
    request = RunRequest(
        optbench.expand(study), TrainOptions(), tmp_path, {dataset_key(study.dataset): data}
    )
    ray.init(address=ray_cluster.address, log_to_driver=False, logging_level="WARNING")
    try:
        events = RayExecutor(ray_cluster.address).run(request)
        assert any(isinstance(e, EpochRecord) for e in events)  # consumes up to the first
        events.close()
        deadline = time.monotonic() + 15
        while ray.available_resources().get("CPU", 0) < 2:
            assert time.monotonic() < deadline, "tasks still hold CPUs after the run was closed"
            time.sleep(0.1)
    finally:
        ray.shutdown()


def test_reuse_model_chain_matches_the_local_executor(ray_cluster, tmp_path):
    raw = {
        "name": "ray-chain",
        "dataset": "digits",
        "optimizers": ["adam", "sgd:lr=0.05", "rmsprop"],
        "epochs": 2,
        "batch_size": 32,
        "reuse_model": True,
    }
    local = optbench.run_study(raw, tmp_path / "local", cache_dir=tmp_path)
    remote = optbench.run_study(
        {**raw, "executor": "ray", "address": ray_cluster.address},
        tmp_path / "ray",
        cache_dir=tmp_path,
    )
    assert local.finished == remote.finished == 3
    assert _epochs(tmp_path / "ray") == _epochs(tmp_path / "local")


def test_your_cnn_example_on_ray_matches_the_local_executor(ray_cluster, tmp_path):
    """Issue 18: the CNN example (a factory by file path) trains on the cluster's workers with
    the per-epoch metrics and digests of the local executor (shortened: 600 examples)."""
    from optbench.data.fashion_mnist import DEBIAN_DIR

    if not Path(DEBIAN_DIR).is_dir():
        pytest.skip(f"{DEBIAN_DIR} is missing (apt-get install dataset-fashion-mnist)")
    example = HERE.parents[1] / "examples" / "fashion_cnn.py"
    raw = {
        "name": "ray-cnn",
        "dataset": {"name": "fashion-mnist", "train_size": 600, "test_size": 200},
        "model": {"factory": f"{example}:build", "kwargs": {"channels": 4}},
        "optimizers": ["adam", "momentum"],
        "epochs": 2,
        "seeds": [0, 1],
    }
    local = optbench.run_study({**raw, "workers": 1}, tmp_path / "local", cache_dir=tmp_path)
    remote = optbench.run_study(
        {**raw, "executor": "ray", "address": ray_cluster.address},
        tmp_path / "ray",
        cache_dir=tmp_path,
    )
    assert local.finished == remote.finished == 4
    assert _epochs(tmp_path / "ray") == _epochs(tmp_path / "local")
    digests = {t["id"]: t["digest"] for t in _trials(tmp_path / "local")}
    assert {t["id"]: t["digest"] for t in _trials(tmp_path / "ray")} == digests


def test_a_request_no_node_can_grant_is_refused(ray_cluster, tmp_path):
    raw = {**TWELVE, "seeds": [0], "executor": "ray", "address": ray_cluster.address}
    with pytest.raises(ConfigError, match=r"No node of the Ray cluster can run a trial asking"):
        optbench.run_study({**raw, "num_cpus": 2}, tmp_path / "study", cache_dir=tmp_path)


def test_unreachable_address_is_a_config_error(tmp_path):
    address = f"{HOST}:{free_port()}"
    raw = {**TWELVE, "seeds": [0], "executor": "ray", "address": address}
    with pytest.raises(
        ConfigError, match=rf"Cannot connect to a Ray cluster at address '{address}'"
    ):
        optbench.run_study(raw, tmp_path / "study", cache_dir=tmp_path)


def test_cuda_trials_without_gpus_are_refused(tmp_path):
    study = optbench.parse_study({**TWELVE, "device": "cuda"})
    request = RunRequest(optbench.expand(study), TrainOptions(), tmp_path)
    with pytest.raises(ConfigError, match=r"ask Ray for no GPU \(num_gpus = 0\)"):
        next(RayExecutor(None, num_gpus=0).run(request))


def test_without_an_address_a_local_ray_runs_the_study(tmp_path, monkeypatch, ray_env):
    """`--executor ray` alone: a Ray runtime started in this process, and stopped after."""
    temp = tempfile.mkdtemp(prefix="obray", dir="/tmp")  # short: Ray's sockets live here
    monkeypatch.setenv("RAY_TMPDIR", temp)
    raw = {**TWELVE, "optimizers": ["adam", "sgd:lr=0.05"], "seeds": [0], "executor": "ray"}
    outcome = optbench.run_study(raw, tmp_path / "ray", cache_dir=tmp_path)
    assert outcome.finished == 2
    assert len(_epochs(tmp_path / "ray")) == 4
    assert not ray.is_initialized()
    deadline = time.monotonic() + 15
    while left := processes_using(temp):
        assert time.monotonic() < deadline, f"Ray processes left behind: {left}"
        time.sleep(0.2)
    shutil.rmtree(temp, ignore_errors=True)
