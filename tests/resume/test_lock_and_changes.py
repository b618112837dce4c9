import subprocess
import sys
import time

import optbench
from optbench.cli.app import main

RAW = {
    "name": "s",
    "dataset": "digits",
    "optimizers": ["adam", "sgd"],
    "epochs": 1,
    "batch_size": 64,
    "workers": 1,
}


def test_second_process_is_refused_politely(tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(
        # Long enough to still run when the second process starts (it is killed below).
        'name = "slow"\nepochs = 5000\nbatch_size = 8\nworkers = 1\n'
        'optimizers = ["sgd"]\ndataset = "digits"\n'
    )
    out = tmp_path / "out"
    first = subprocess.Popen(
        [sys.executable, "-m", "optbench", "run", str(study), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "study.sqlite").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(
            [sys.executable, "-m", "optbench", "run", str(study), "--out", str(out)],
            capture_output=True,
            text=True,
        )
        assert second.returncode == 2
        assert "Another optbench process is running the study" in second.stderr
    finally:
        first.kill()
        first.wait()


def test_changed_study_says_what_changed(tmp_path, capsys):
    out = tmp_path / "out"
    optbench.run_study(RAW, out, cache_dir=tmp_path)
    (tmp_path / "s.toml").write_text(
        'name = "s"\nepochs = 1\nbatch_size = 64\nworkers = 1\ndataset = "digits"\n'
        'optimizers = ["adam", "rmsprop"]\n'
    )
    assert main(["run", str(tmp_path / "s.toml"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "1 new or changed trial(s) will run, 1 unchanged trial(s) keep their results" in text
    view = optbench.open_study(out)
    assert [t.row["optimizer"] for t in view.trials] == ["adam", "rmsprop"]


def test_resume_command_needs_a_study_folder(tmp_path, capsys):
    assert main(["resume", str(tmp_path)]) == 2
    assert "has no config.toml" in capsys.readouterr().err
