"""Planning: study files and flags → a validated StudySpec → one TrialSpec per grid point × seed."""

from optbench.plan.expand import expand
from optbench.plan.study_file import load_study_file, parse_study, study_to_toml
from optbench.plan.tune import (
    SEARCH_TAG,
    choose_lrs,
    holdout_size,
    search_trials,
    tuned_trials,
)

__all__ = [
    "SEARCH_TAG",
    "choose_lrs",
    "expand",
    "holdout_size",
    "load_study_file",
    "parse_study",
    "search_trials",
    "study_to_toml",
    "tuned_trials",
]
