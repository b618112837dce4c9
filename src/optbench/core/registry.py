"""A small name → entry registry with close-match suggestions for typos."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Generic, TypeVar

from optbench.core.errors import ConfigError

T = TypeVar("T")


def suggest(name: str, choices: list[str] | tuple[str, ...], *, n: int = 2) -> str:
    """' Did you mean 'adam' or 'adamw'?' for a mistyped name, or '' when nothing is close."""
    matches = difflib.get_close_matches(name, list(choices), n=n, cutoff=0.6)
    if not matches:
        return ""
    quoted = " or ".join(f"'{m}'" for m in matches)
    return f" Did you mean {quoted}?"


class Registry(Generic[T]):
    """Entries keyed by lowercase, stable names; unknown names fail with suggestions."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        key = name.lower()
        if key in self._entries:
            raise ValueError(f"{self.kind} '{key}' is already registered")
        self._entries[key] = entry
        return entry

    def get(self, name: str) -> T:
        key = name.lower()
        if key not in self._entries:
            hint = suggest(key, self.names())
            known = ", ".join(self.names())
            raise ConfigError(f"Unknown {self.kind} '{name}'.{hint} Known: {known}.")
        return self._entries[key]

    def names(self) -> list[str]:
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)
