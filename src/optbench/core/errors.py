"""One error hierarchy for everything optbench refuses to do.

Library code raises these; only the CLI turns them into a message and exit code 2.
Every message says what is wrong *and* how to fix it.
"""

from __future__ import annotations


class OptbenchError(Exception):
    """Base class: a problem the user can fix (bad config, bad data, missing file)."""

    exit_code = 2
    problems: list[str]

    @classmethod
    def collect(cls, problems: list[str], *, source: str = "configuration") -> OptbenchError:
        """One error that lists every problem found, so the user fixes them all in one go."""
        if len(problems) == 1:
            error = cls(f"Invalid {source}: {problems[0]}")
        else:
            body = "\n".join(f"  - {p}" for p in problems)
            error = cls(f"Invalid {source} ({len(problems)} problems):\n{body}")
        error.problems = list(problems)
        return error


class ConfigError(OptbenchError):
    """A study file, flag or spec is invalid. May carry several problems at once."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message)


class DataError(OptbenchError):
    """A dataset file is missing, corrupt, of the wrong shape, or could not be downloaded."""


class StoreError(OptbenchError):
    """The study folder or its store cannot be used (locked, from another study, corrupt)."""


class TrainingError(OptbenchError):
    """A trial could not be trained (e.g. the model does not fit the data)."""
