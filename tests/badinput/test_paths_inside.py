"""No path a study writes lies outside its folder, whatever its name (property tests).

Two properties. For any text as a study name, the study is refused with a ConfigError, or its
folder is a direct child of `runs/`. And for real runs with hostile names and optimizer
labels (a user optimizer that takes any keyword, so any text reaches TensorBoard run names
and figure files): every file the run creates lies inside `runs/<name>/` (the data cache,
which lives elsewhere by design, aside), and a refused run creates nothing at all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from optbench.cli.app import main
from optbench.core.errors import ConfigError
from optbench.plan import name_problem, parse_study, safe_name, study_folder

# Characters that make paths interesting, beside any text at all.
HOSTILE = st.text(
    alphabet=st.sampled_from(["/", "\\", ".", " ", "\0", "\n", "~", "$", "*", "a", "ب", "\u200c"]),
    max_size=12,
)
NAMES = st.one_of(st.text(max_size=120), HOSTILE)


@given(NAMES)
@settings(max_examples=3000, deadline=None, database=None, derandomize=True)
@example("../../x")
@example("/etc")
@example(".")
@example("..")
@example("")
@example("a/../../b")
@example("x" * 101)
def test_a_name_is_refused_or_names_one_folder_inside_runs(name: str) -> None:
    runs = Path("/srv/optbench-runs")
    try:
        study = parse_study({"name": name, "dataset": "digits", "optimizers": ["adam"]})
    except ConfigError as exc:
        assert "`name`" in str(exc)
        with pytest.raises(ConfigError):
            study_folder(runs, name)  # a StudySpec built in Python is refused too
        return
    folder = study_folder(runs, study.name)
    assert Path(os.path.normpath(folder)).parent == runs
    assert folder.name == name and name not in ("", ".", "..")


@given(st.text(max_size=200))
@settings(max_examples=2000, deadline=None, database=None, derandomize=True)
def test_default_names_made_from_flags_are_always_valid(text: str) -> None:
    assert name_problem(safe_name(text)) is None


ANYTHING = '''
import torch

class Anything(torch.optim.SGD):
    """SGD that takes any keyword: any text reaches the optimizer's label."""

    def __init__(self, params, lr=0.05, **extra):
        super().__init__(params, lr=lr)
'''


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


# For real runs: names and labels that are often accepted yet full of path characters.
RUN_NAMES = st.one_of(st.text(alphabet="ab.-_~$*[] ب\u200c", min_size=1, max_size=20), HOSTILE)
TAGS = st.text(alphabet="/\\. ~$*[]()ab'\"ب", min_size=1, max_size=12)


@pytest.mark.slow
@given(name=RUN_NAMES, tag=TAGS)
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@example(name="../../escaped", tag="../../x")
@example(name="/tmp/optbench-escape-test", tag="/etc/passwd")
@example(name="..", tag="..")
@example(name="ok name ب", tag="a/b\\c")
def test_a_real_run_writes_only_inside_its_folder(name: str, tag: str, tmp_path_factory) -> None:
    top = tmp_path_factory.mktemp("top")
    cwd = top / "a" / "b" / "cwd"
    cwd.mkdir(parents=True)
    (top / "anything_optim.py").write_text(ANYTHING)
    before = _files(top)
    code = _run(cwd, top, name, tag)
    created = {p for p in _files(top) - before if "cache" not in p.relative_to(top).parts}
    assert not Path("/tmp/optbench-escape-test").exists()
    event(f"exit code {code}")
    if code != 0:
        assert code == 2 and created == set()  # refused before anything was written
        return
    folder = cwd / "runs" / name
    outside = [p for p in created if p != cwd / "runs" and folder not in (p, *p.parents)]
    assert outside == [], outside
    assert (folder / "report.md").is_file()


def _run(cwd: Path, top: Path, name: str, tag: str) -> int:
    old = Path.cwd()
    os.chdir(cwd)
    os.environ["OPTBENCH_CACHE"] = str(top / "cache")
    sys.path.insert(0, str(top))
    try:
        return main(
            [
                "compare",
                "--dataset",
                "digits",
                "--train-size",
                "96",
                "--test-size",
                "32",
                "--epochs",
                "1",
                "--workers",
                "1",
                "--optimizers",
                f"anything_optim:Anything:tag={tag.replace(',', ';')}" if tag else "sgd",
                "--name",
                name,
            ]
        )
    finally:
        sys.path.remove(str(top))
        os.environ.pop("OPTBENCH_CACHE", None)
        os.chdir(old)
