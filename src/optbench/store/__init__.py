"""Storage: the SQLite study store and TensorBoard event files."""

from optbench.store.sqlite import Store
from optbench.store.tensorboard import TensorBoardLog, run_name

__all__ = ["Store", "TensorBoardLog", "run_name"]
