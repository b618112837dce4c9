"""MNIST: 70,000 handwritten digits, 28x28 grayscale, the classic first benchmark.

Download sources, tried in order (files are identical on every mirror of a source):
  - the four IDX .gz files from PyTorch's and TensorFlow Datasets' mirrors;
  - Keras' single `mnist.npz` (x_train, y_train, x_test, y_test, uint8).

SHA-256 pins, not measured here but copied from where the maintainers state them:
  - IDX files: tensorflow/datasets `tensorflow_datasets/url_checksums/mnist.txt`
    (which also gives the sizes 9912422 / 28881 / 1648877 / 4542 bytes);
  - mnist.npz: keras-team/keras `keras/src/datasets/mnist.py` (`file_hash`).
"""

from __future__ import annotations

from optbench.data.info import DATASETS, DatasetInfo, RemoteFile, RemoteSource
from optbench.data.mnist_format import read_mnist_format

MNIST_IDX = RemoteSource(
    label="MNIST IDX files",
    format="idx",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    files=(
        RemoteFile(
            "train-images-idx3-ubyte.gz",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        RemoteFile(
            "train-labels-idx1-ubyte.gz",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        RemoteFile(
            "t10k-images-idx3-ubyte.gz",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        RemoteFile(
            "t10k-labels-idx1-ubyte.gz",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    ),
)

MNIST_NPZ = RemoteSource(
    label="Keras mnist.npz",
    format="npz",
    mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
    files=(
        RemoteFile("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    ),
)

MNIST = DATASETS.register(
    "mnist",
    DatasetInfo(
        name="mnist",
        description="Handwritten digits 0-9, 28x28 grayscale; 60,000 train / 10,000 test.",
        reference="LeCun, Bottou, Bengio & Haffner (1998), Gradient-based learning applied "
        "to document recognition. http://yann.lecun.com/exdb/mnist/",
        num_classes=10,
        input_shape=(28, 28),
        class_names=tuple(str(d) for d in range(10)),
        raw_range=(0.0, 255.0),
        needs_download=True,
        read=read_mnist_format,
        split="official: first 60,000 (train files) / 10,000 (t10k files)",
        sources=(MNIST_IDX, MNIST_NPZ),
        tags=("image", "grayscale", "10-class"),
    ),
)
