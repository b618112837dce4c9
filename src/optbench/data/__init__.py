"""optbench.data: datasets as in-memory tensors, read from disk or fetched and verified.

    from optbench.data import load_dataset
    ds = load_dataset(DatasetSpec("fashion-mnist", options={"classes": ["shirt", "t-shirt"]}),
                      cache_dir)

Registered datasets: `mnist`, `fashion-mnist` (IDX or Keras npz; local folders, cache, or
download from pinned mirrors), `digits` (scikit-learn, offline), `image-folder` (your own
root/train/<class>/*, root/validation/<class>/*) and `cats-vs-dogs` (the seed's Q4 data).
"""

from optbench.data import (  # noqa: F401  (register entries)
    cats_vs_dogs,
    digits,
    fashion_mnist,
    image_folder,
    mnist,
)
from optbench.data.archive import extract_zip
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
    "extract_zip",
    "fetch",
    "load_dataset",
    "load_idx",
    "load_npz",
]
