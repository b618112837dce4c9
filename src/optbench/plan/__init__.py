"""Planning: study files and flags → a validated StudySpec → one TrialSpec per grid point × seed."""

from optbench.plan.expand import expand
from optbench.plan.study_file import load_study_file, parse_study, study_to_toml

__all__ = ["expand", "load_study_file", "parse_study", "study_to_toml"]
