"""The driver: runs a study and is the only writer of its folder.

Executors compute and stream events; the driver records each one as it lands (store first,
then TensorBoard, then progress), so a study killed at any point keeps every finished epoch and
resumes by skipping finished trials. `study.py` tells the story (check, plan, execute, record,
report); `checks.py`, `folder.py` and `startup.py` hold its parts.
"""

from optbench.driver.study import Progress, StudyOutcome, run_study

__all__ = ["Progress", "StudyOutcome", "run_study"]
