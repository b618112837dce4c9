"""Fixtures for the data tests (helpers live in datafiles.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from datafiles import Loopback, start_loopback


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    """A loopback HTTP server serving the routes a test adds; shut down afterwards."""
    state, server = start_loopback()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def listing() -> Callable[[Path], list[str]]:
    """Every file and folder under a path, relative and sorted ([] when it does not exist)."""

    def _listing(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []

    return _listing
