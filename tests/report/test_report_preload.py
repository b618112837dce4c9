"""The report's imports may start early in a background thread, but never overlap the report.

Two threads importing matplotlib at once can leave one of them with a half-initialised module
(seen as "cannot import name ... from partially initialized module"), so the phase waits for
the preload thread before the report is drawn.
"""

import subprocess
import sys

import pytest

import optbench
from optbench import driver
from optbench.driver import ReportPreload


def test_stop_waits_for_the_preload_thread():
    preload = ReportPreload()
    preload.start()
    preload.stop()
    assert preload.thread is not None and not preload.thread.is_alive()


def test_stop_without_start_is_fine():
    ReportPreload().stop()


def test_without_stats_scipy_stats_is_not_imported():
    # scipy.stats takes ~0.55 s to import; a one-seed study's report never uses it.
    script = (
        "import sys; from optbench.report import preload; preload(stats=False); "
        "print('scipy.stats' in sys.modules, 'matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(("seeds", "stats"), [([0], False), ([0, 1], True)])
def test_the_study_preloads_stats_only_for_several_seeds(tmp_path, monkeypatch, seeds, stats):
    made = []

    class Recorded(driver.ReportPreload):
        def __init__(self, stats: bool = True) -> None:
            super().__init__(stats)
            made.append(stats)

    monkeypatch.setattr(driver, "ReportPreload", Recorded)
    study = {"name": "p", "dataset": "digits", "optimizers": ["adam"], "epochs": 1, "seeds": seeds}
    optbench.run_study(study, tmp_path / "s", cache_dir=tmp_path)
    assert made == [stats]
