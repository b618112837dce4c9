"""Golden files: report.md and terminal output (`show`, `ls`) from a hand-written store.

A difference fails with the diff; after a deliberate change run
`.venv/bin/python tests/report/update_golden.py --write` and review the diff in git.
"""

from __future__ import annotations

import difflib

import pytest
from golden_cases import CASES, GOLDEN, TIME


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden_file(name, tmp_path):
    actual = CASES[name](tmp_path)
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), f"golden/{name}", "actual"
            )
        )
        pytest.fail(
            f"{name} differs from its golden file. If the change is intended, run "
            f"`.venv/bin/python tests/report/update_golden.py --write`.\n{diff}"
        )


def test_golden_files_have_no_unmasked_paths_or_times():
    for path in GOLDEN.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "/tmp" not in text and "pytest-of" not in text, path
        assert not TIME.search(text), path
