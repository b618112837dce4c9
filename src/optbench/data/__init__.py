"""optbench.data: datasets as in-memory tensors, read from disk or fetched and verified.

    from optbench.data import load_dataset
    ds = load_dataset(DatasetSpec("fashion-mnist", options={"classes": ["shirt", "t-shirt"]}),
                      cache_dir)

Registered datasets: `mnist`, `fashion-mnist` (IDX or Keras npz; local folders, cache, or
download from pinned mirrors) and `digits` (scikit-learn, offline).
"""

from optbench.data import digits, fashion_mnist, mnist  # noqa: F401  (register entries)
from optbench.data.arrays import RawArrays
from optbench.data.dataset import Dataset, Split
from optbench.data.download import DownloadError, fetch
from optbench.data.idx import load_idx
from optbench.data.info import DATASETS, DatasetInfo, RemoteFile, RemoteSource
from optbench.data.load import load_dataset
from optbench.data.npz import load_npz

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetInfo",
    "DownloadError",
    "RawArrays",
    "RemoteFile",
    "RemoteSource",
    "Split",
    "fetch",
    "load_dataset",
    "load_idx",
    "load_npz",
]
