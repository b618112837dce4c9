"""Planning: study files and flags → a validated StudySpec → one TrialSpec per grid point × seed."""

from optbench.core.study_name import name_problem, safe_name, study_folder
from optbench.plan.expand import expand
from optbench.plan.limits import MAX_STUDY_FILE_BYTES, MAX_TRIALS, trial_count
from optbench.plan.study_file import load_study_file, parse_study, study_to_toml
from optbench.plan.tune import (
    SEARCH_TAG,
    choose_lrs,
    holdout_size,
    search_trials,
    tuned_trials,
)

__all__ = [
    "MAX_STUDY_FILE_BYTES",
    "MAX_TRIALS",
    "SEARCH_TAG",
    "choose_lrs",
    "expand",
    "holdout_size",
    "load_study_file",
    "name_problem",
    "parse_study",
    "safe_name",
    "search_trials",
    "study_folder",
    "study_to_toml",
    "trial_count",
    "tuned_trials",
]
