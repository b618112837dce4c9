"""Packages whose names resolve on first use: what they export is what they can resolve."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

LAZY = ("optbench", "optbench.optim", "optbench.report", "optbench.landscape")


@pytest.mark.parametrize("package", LAZY)
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(module.__all__) <= set(dir(module))


@pytest.mark.parametrize("package", LAZY)
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        module.nonexistent  # noqa: B018


def test_importing_the_packages_imports_no_torch() -> None:
    code = (
        "import sys, optbench, optbench.optim, optbench.report\n"
        "print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
