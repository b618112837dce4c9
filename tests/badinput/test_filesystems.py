"""Full disks and read-only media, on real filesystems (tmpfs, read-only bind mounts): one
clear message and exit code 2, nothing half-written left behind, nothing computed lost.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from filesystems import copy_study, fill, optbench, read_only, tmpfs

pytestmark = pytest.mark.slow

STUDY = ["compare", "--dataset", "digits", "--optimizers", "adam,sgd", "--epochs", "2"]
FREE_SPACE = "free space and run the same command again"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished study on the ordinary disk, copied into each test's filesystem."""
    folder = tmp_path_factory.mktemp("finished") / "study"
    done = optbench(*STUDY, "--workers", "1", "--out", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


def _epochs(folder: Path) -> int:
    with sqlite3.connect(folder / "study.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]


def _clean(result, *, code: int = 2) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_full_disk_while_the_report_is_written(finished, tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        study = copy_study(finished, disk / "study")
        (study / "report.html").unlink()
        filler = fill(disk, leave=60_000)  # room for the store, not for report.html
        err = _clean(optbench("report", str(study)))
        assert "report.html" in err and FREE_SPACE in err
        assert not list(disk.rglob("*.tmp"))  # no report.html.tmp left behind
        assert _epochs(study) == 4
        filler.unlink()  # space is back: the same command now works
        _clean(optbench("report", str(study)), code=0)
        assert (study / "report.html").is_file()


def test_rerun_on_a_full_disk_keeps_every_epoch(finished, tmp_path):
    with tmpfs(tmp_path / "disk", "2m") as disk:
        study = copy_study(finished, disk / "study")
        filler = fill(disk)
        err = _clean(optbench(*STUDY, "--out", str(study)))
        assert FREE_SPACE in err and "OperationalError" not in err
        assert not list(disk.rglob("*.tmp"))
        filler.unlink()
        assert _epochs(study) == 4
        _clean(optbench(*STUDY, "--out", str(study)), code=0)  # resumes: all finished


def test_a_new_store_on_a_full_disk_advises_freeing_space(tmp_path):
    with tmpfs(tmp_path / "disk", "1m") as disk:
        fill(disk)
        err = _clean(optbench(*STUDY, "--out", str(disk / "new")))
        assert FREE_SPACE in err
        assert "Move it away" not in err  # the store is fine; the disk is not


def test_read_only_media_can_be_read_not_written(finished, tmp_path):
    source = copy_study(finished, tmp_path / "source" / "study")
    with read_only(source.parent, tmp_path / "ro") as media:
        study = media / "study"
        shown = optbench("show", str(study))
        assert shown.returncode == 0 and "adam" in shown.stdout, shown.stderr
        exported = optbench("export", str(study), "--format", "json")
        assert exported.returncode == 0 and '"epochs"' in exported.stdout, exported.stderr
        listed = optbench("ls", str(media))
        assert listed.returncode == 0 and "finished" in listed.stdout, listed.stderr
        for args in (["report", str(study)], ["resume", str(study)], [*STUDY, "--out", str(study)]):
            err = _clean(optbench(*args))
            assert "read-only storage" in err, args
        err = _clean(optbench(*STUDY, "--out", str(media / "new")))
        assert "read-only storage" in err
        err = _clean(optbench("export", str(study), "--out", str(media / "x.csv")))
        assert "read-only storage" in err
