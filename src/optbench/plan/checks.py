"""Study checks beyond one field's type: repeated grid values, settings that only work
together, and a Ray address's form. Each returns a problem in the house form, or None.

A repeated value (`--lr-grid 1e-3,1e-3`, or `0.01,1e-2`: the same number) makes two trials
with one id; the study used to train and then fail for good on the store's unique key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from optbench.core.specs import HeadSpec

MAX_PORT = 65535
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$")


def repeated_problem(key: str, values: Sequence[Any]) -> str | None:
    """A grid that lists one value twice (compared as numbers: 0.01 == 1e-2)."""
    seen: list[Any] = []
    for value in values:
        if value in seen:
            return (
                f"`{key}` lists {value!r} more than once (a grid needs distinct values; "
                f"0.01 and 1e-2 are the same number). Received: {key}={list(values)!r}"
            )
        seen.append(value)
    return None


def repeated_heads_problem(heads: Sequence[HeadSpec]) -> str | None:
    """Two head entries that describe the same head."""
    for i, head in enumerate(heads):
        if head in heads[:i]:
            return (
                f"`heads` lists the head {head.label} more than once. Remove the duplicate. "
                f"Received: heads[{i}]={head.label}"
            )
    return None


def lr_grid_problem(lr_grid: Sequence[float], default: Sequence[float], tune: str) -> str | None:
    """An lr grid given without tuning would be silently ignored: say so instead.

    A grid equal to the default passes: every config.toml written before this check spelled
    the default out, and those studies must still resume.
    """
    if tune == "lr" or tuple(lr_grid) == tuple(default):
        return None
    return (
        '`lr_grid` (--lr-grid) is used only when tuning: add tune = "lr" (--tune lr), or drop '
        f"it. Received: lr_grid={list(lr_grid)!r}, tune={tune!r}"
    )


def address_problem(address: str | None, executor: str) -> str | None:
    """A Ray address must be `auto`, `local`, `host:port` or `ray://host:port`, and is used
    only by the Ray executor (elsewhere it would be silently ignored)."""
    if address is None:
        return None
    if executor != "ray":
        return (
            '`address` (--address) is used only with executor = "ray" (--executor ray). '
            f"Received: address={address!r}, executor={executor!r}"
        )
    if address in ("auto", "local") or _host_port(address.removeprefix("ray://")):
        return None
    return (
        "`address` must be auto, local, HOST:PORT or ray://HOST:PORT (port 1-65535), e.g. "
        f"10.0.0.5:6379. Received: address={address!r}"
    )


def _host_port(text: str) -> bool:
    host, sep, port = text.rpartition(":")
    number = port.isascii() and port.isdigit() and 0 < int(port) <= MAX_PORT
    return bool(sep and _HOST.match(host) and number)
