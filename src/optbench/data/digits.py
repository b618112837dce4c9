"""digits: scikit-learn's bundled 8x8 handwritten digits (1,797 images), no network needed.

Pixels are integer counts 0..16 (each is the number of "on" pixels in a 4x4 block of the
original 32x32 bitmap), so scaling divides by 16. The split is fixed and documented:
the first 1,437 images (80%) train, the last 360 test, in scikit-learn's order.
"""

from __future__ import annotations

import numpy as np

from optbench.core.errors import ConfigError
from optbench.data.arrays import RawArrays, check_arrays
from optbench.data.info import DATASETS, DatasetInfo, ReadRequest

DIGITS_TRAIN_SIZE = 1437


def read_digits(info: DatasetInfo, request: ReadRequest) -> RawArrays:
    """scikit-learn's load_digits, split first 1437 / last 360."""
    if request.spec.path is not None:
        raise ConfigError(
            f"Dataset 'digits' ships with scikit-learn and takes no path. "
            f"Received: path={request.spec.path!r}"
        )
    import sklearn
    from sklearn.datasets import load_digits  # imported here: it is slow to import

    bunch = load_digits()
    x = np.asarray(bunch.images, dtype=np.float32)  # [1797, 8, 8], values 0..16
    y = np.asarray(bunch.target, dtype=np.int64)  # [1797]
    n = DIGITS_TRAIN_SIZE
    raw = RawArrays(
        x[:n], y[:n], x[n:], y[n:], source=f"scikit-learn {sklearn.__version__} load_digits()"
    )
    check_arrays(
        raw, input_shape=info.input_shape, num_classes=info.num_classes, raw_range=info.raw_range
    )
    return raw


DIGITS = DATASETS.register(
    "digits",
    DatasetInfo(
        name="digits",
        description="scikit-learn's 8x8 handwritten digits 0-9 (values 0..16); "
        "1,437 train / 360 test. Offline and tiny: good for quick runs and tests.",
        reference="Alpaydin & Kaynak (1998), Optical Recognition of Handwritten Digits, "
        "UCI Machine Learning Repository; sklearn.datasets.load_digits",
        num_classes=10,
        input_shape=(8, 8),
        class_names=tuple(str(d) for d in range(10)),
        raw_range=(0.0, 16.0),
        needs_download=False,
        read=read_digits,
        split="fixed: first 1,437 train / last 360 test, in scikit-learn's order",
        tags=("image", "grayscale", "10-class", "offline"),
    ),
)
